"""End-to-end tests of the kiln command line: real processes, real files.

Run through CTest (KILN_BINARY names the kiln executable) or by hand:
  KILN_BINARY=build/release/kiln /usr/bin/python3 -m unittest discover -s tests/cli -v
"""

import unittest

import numpy as np
import onnx
from onnx import helper, numpy_helper

from cli_support import KilnTestCase, run_kiln, small_model


class CliTest(KilnTestCase):
    def test_run_writes_outputs_equal_to_numpy(self):
        model = small_model(self.dir / "relu.onnx")
        x = np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(np.float32)
        np.save(self.dir / "x.npy", x)
        result = run_kiln("run", model, "--shape", "image:2,3,4,4", "--input", self.dir / "x.npy",
                          "--output", self.dir / "out", "--loop", "3")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("latency over 3 runs", result.stdout)
        out = np.load(self.dir / "out" / "output.npy")
        np.testing.assert_array_equal(out, np.maximum(x, 0))
        # Nothing but the output file is left behind (written through a temporary name).
        self.assertEqual(sorted(p.name for p in (self.dir / "out").iterdir()), ["output.npy"])

    def test_run_without_input_uses_seeded_random_data(self):
        model = small_model(self.dir / "relu.onnx")
        first = run_kiln("run", model, "--output", self.dir / "a", "--seed", "7")
        second = run_kiln("run", model, "--output", self.dir / "b", "--seed", "7")
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertEqual(second.returncode, 0, second.stderr)
        a, b = np.load(self.dir / "a" / "output.npy"), np.load(self.dir / "b" / "output.npy")
        self.assertEqual(a.shape, (1, 3, 4, 4))  # symbolic batch defaults to 1
        np.testing.assert_array_equal(a, b)
        self.assertGreater(np.count_nonzero(a), 0)

    def test_info_reports_signature_and_histogram(self):
        model = small_model(self.dir / "relu.onnx")
        result = run_kiln("info", model, "--shape", "image:4,3,4,4")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("image", result.stdout)
        self.assertIn("[4,3,4,4]", result.stdout)
        self.assertIn("Relu", result.stdout)

    def test_missing_file(self):
        self.assert_user_error(run_kiln("run", self.dir / "nope.onnx"), "nope.onnx")

    def test_not_an_onnx_file(self):
        path = self.dir / "text.onnx"
        path.write_text("this is not a model\n" * 10)
        self.assert_user_error(run_kiln("info", path), "text.onnx")

    def test_truncated_file(self):
        model = small_model(self.dir / "relu.onnx", initializers=[
            numpy_helper.from_array(np.ones((256, 256), np.float32), "unused_weight")])
        data = model.read_bytes()
        truncated = self.dir / "truncated.onnx"
        truncated.write_bytes(data[: len(data) // 2])
        self.assert_user_error(run_kiln("run", truncated), "truncated.onnx")

    def test_unknown_op_names_node_and_op(self):
        model = small_model(self.dir / "weird.onnx", op="NonZero")
        self.assert_user_error(run_kiln("run", model), "the_node", "NonZero")

    def test_wrong_input_shape(self):
        model = small_model(self.dir / "relu.onnx")
        np.save(self.dir / "x.npy", np.zeros((1, 3, 5, 5), np.float32))
        self.assert_user_error(run_kiln("run", model, "--input", self.dir / "x.npy"),
                               "x.npy", "float32[1,3,5,5]", "[1,3,4,4]")

    def test_wrong_input_dtype(self):
        model = small_model(self.dir / "relu.onnx")
        np.save(self.dir / "x.npy", np.zeros((1, 3, 4, 4), np.int64))
        self.assert_user_error(run_kiln("run", model, "--input", self.dir / "x.npy"),
                               "x.npy", "int64")

    def test_bad_shape_argument(self):
        model = small_model(self.dir / "relu.onnx")
        self.assert_user_error(run_kiln("run", model, "--shape", "image:1,x,4,4"), "1,x,4,4")
        self.assert_user_error(run_kiln("run", model, "--shape", "picture:1,3,4,4"), "picture")

    def test_missing_external_data(self):
        weight = numpy_helper.from_array(np.ones((3, 1, 1, 1), np.float32), "w")
        model = small_model(self.dir / "ext.onnx", op="Relu")
        proto = onnx.load(str(model))
        proto.graph.initializer.append(weight)
        conv = helper.make_node("Conv", ["output", "w"], ["conv_out"], group=3, name="conv")
        proto.graph.node.append(conv)
        proto.graph.output[0].name = "conv_out"  # same shape as the Relu's output
        onnx.save_model(proto, str(model), save_as_external_data=True,
                        all_tensors_to_one_file=True, location="ext.weights",
                        size_threshold=0)
        self.assertEqual(run_kiln("run", model).returncode, 0)  # external data present: runs
        (self.dir / "ext.weights").unlink()
        self.assert_user_error(run_kiln("run", model), "ext.weights")

    def test_unknown_command_suggests(self):
        result = run_kiln("rnu")
        self.assertEqual(result.returncode, 1)
        self.assertIn("did you mean 'run'", result.stderr)


if __name__ == "__main__":
    unittest.main()
