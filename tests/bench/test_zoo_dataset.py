"""`kiln run` over a dataset with a tiny zoo model: the batched pipeline's outputs equal PyTorch's
on the zoo's reference samples and equal a batch-1 run on every sample, padding included.

Needs the tiny zoo (CTest fixture `zoo`, directory in KILN_ZOO_DIR) and KILN_BINARY.
"""

import json
import os
import pathlib
import subprocess
import tempfile
import unittest

import numpy as np

KILN = os.environ.get("KILN_BINARY", "build/release/kiln")
ZOO = pathlib.Path(os.environ.get("KILN_ZOO_DIR", "build/release/zoo"))


class ZooDatasetTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def run_dataset(self, model, batch, out):
        result = subprocess.run([KILN, "run", str(model), "--input", str(self.dir / "in"),
                                 "--output", str(out), "--batch", str(batch),
                                 "--summary", str(out) + ".json"],
                                capture_output=True, text=True, timeout=600)
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(pathlib.Path(str(out) + ".json").read_text())

    def test_dpn131_tiny_batched_dataset_matches_pytorch_and_batch_one(self):
        model = ZOO / "dpn131_tiny.onnx"
        reference_in = np.load(ZOO / "dpn131_tiny.b3.input.image.npy")
        reference_out = np.load(ZOO / "dpn131_tiny.b3.output.logits.npy")
        (self.dir / "in").mkdir()
        rng = np.random.default_rng(5)
        samples = list(reference_in) + [rng.standard_normal(reference_in.shape[1:], np.float32)
                                        for _ in range(16)]
        for i, x in enumerate(samples):
            np.ascontiguousarray(x, np.float32).tofile(self.dir / "in" / f"sample_{i:03d}.bin")

        batched = self.run_dataset(model, 8, self.dir / "out8")  # 19 = 8 + 8 + 3 (+5 padding)
        self.assertEqual(batched["samples"]["padded"], 5)
        single = self.run_dataset(model, 1, self.dir / "out1")
        self.assertEqual(single["samples"]["run"], 19)
        for i in range(len(samples)):
            out8 = np.fromfile(self.dir / "out8" / f"sample_{i:03d}_1.bin", np.float32)
            out1 = np.fromfile(self.dir / "out1" / f"sample_{i:03d}_1.bin", np.float32)
            self.assertEqual(out8.shape, (1000,))
            np.testing.assert_allclose(out8, out1, rtol=1e-4, atol=1e-5)
            if i < len(reference_in):
                tolerance = 1e-4 + 1e-3 * np.abs(reference_out[i]).max()
                np.testing.assert_allclose(out8, reference_out[i], rtol=0, atol=tolerance)


if __name__ == "__main__":
    unittest.main()
