"""Shared helpers of the Python tests of `kiln eval`: the kiln binary, running it, and writing
output directories the way `kiln run` does (`<stem>_<k>.<ext>` plus outputs.json)."""
import json
import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
KILN = os.environ.get("KILN_BINARY", str(REPO / "build" / "release" / "kiln"))
if str(REPO / "models") not in sys.path:
    sys.path.insert(0, str(REPO / "models"))


def run_kiln(*args, timeout=600):
    return subprocess.run([KILN, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def check_kiln(test, *args, timeout=600):
    """Runs kiln and fails `test` with its stderr unless it exits 0."""
    result = run_kiln(*args, timeout=timeout)
    test.assertEqual(result.returncode, 0, f"kiln {' '.join(map(str, args))}\n{result.stderr}")
    return result


def write_outputs(out_dir, outputs, fmt="bin", manifest=True):
    """outputs: {stem: [array for output 1, array for output 2, ...]} (per-sample arrays).
    Writes `<stem>_<k>.<fmt>` and, with `manifest`, outputs.json with each output's shape."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    import numpy as np
    first = None
    for stem, arrays in outputs.items():
        first = first or arrays
        for k, a in enumerate(arrays, start=1):
            a = np.ascontiguousarray(a)
            path = out_dir / f"{stem}_{k}.{fmt}"
            if fmt == "bin":
                a.tofile(path)
            elif fmt == "npy":
                np.save(path, a)
            else:
                np.savetxt(path, a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a[None], fmt="%.9g")
    if manifest and first is not None:
        entries = [{"index": k, "name": f"output{k}", "dtype": str(a.dtype), "shape": list(a.shape)}
                   for k, a in enumerate(first, start=1)]
        (out_dir / "outputs.json").write_text(json.dumps({"model": "test.onnx", "format": fmt,
                                                         "outputs": entries}))


def read_result(path):
    with open(path) as f:
        result = json.load(f)
    rows = {row["key"]: row["value"] for row in result["value"]}
    return result, rows
