#!/usr/bin/python3
"""Acceptance check of the full-size zoo models: kiln against PyTorch at any batch size.

For each model exported by `models/export.py --all --out ZOO`, rebuilds the PyTorch network with
the manifest's seed (the same weights as the ONNX file), runs it on a seeded input of each batch
size, runs `kiln run` on the same input, and prints max |kiln - torch| against the tolerance of
the model tests (1e-4 + 1e-3 * max |torch|). Too slow for CI; run by hand:

  /usr/bin/python3 tests/models/check_full_models.py --zoo ZOO --batch 1 4 [--models dpn131 ...]
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "models"))
import export  # noqa: E402  (the zoo's own model construction)


def check(zoo, kiln, key, batch, threads):
    manifest = json.loads((zoo / f"{key}.json").read_text())
    spec = export.SPECS[manifest["model"]]
    model = export.build_model(spec, tiny=manifest["tiny"], seed=manifest["seed"])
    image = export.reference_input(spec, manifest["tiny"], batch, manifest["seed"])
    with torch.no_grad():
        expected = export._as_tuple(model(image))
    names = [o["name"] for o in manifest["outputs"]]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        np.save(tmp / "image.npy", image.numpy())
        result = subprocess.run(
            [kiln, "run", zoo / manifest["onnx"], "--shape", f"image:{','.join(map(str, image.shape))}",
             "--input", tmp / "image.npy", "--output", tmp / "out", "--threads", str(threads)],
            capture_output=True, text=True)
        if result.returncode != 0:
            return [(key, batch, "-", float("inf"), 0.0, False, result.stderr.strip())]
        for name, torch_out in zip(names, expected):
            got = np.load(tmp / "out" / f"{name}.npy").astype(np.float64)
            ref = torch_out.numpy().astype(np.float64)
            err = float(np.abs(got - ref).max())
            scale = float(np.abs(ref).max())
            rows.append((key, batch, name, err, scale, err <= 1e-4 + 1e-3 * scale, ""))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zoo", type=pathlib.Path, required=True)
    parser.add_argument("--kiln", default="build/release/kiln")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--models", nargs="+",
                        default=["dpn131", "rdn_x2", "rdn_x2_opset9", "lvvit_s", "deeplabv2",
                                 "efficientdet_d0"])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ok = True
    print("| model | batch | output | max abs error | max abs output | tolerance | result |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for key in args.models:
        for batch in args.batch:
            for key_, b, name, err, scale, passed, message in check(args.zoo, args.kiln, key, batch,
                                                                     args.threads):
                ok &= passed
                print(f"| {key_} | {b} | {name} | {err:.3g} | {scale:.3g} | "
                      f"{1e-4 + 1e-3 * scale:.3g} | {'pass' if passed else 'FAIL ' + message} |",
                      flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
