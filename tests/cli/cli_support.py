"""What the command-line tests share: the kiln binary, a small ONNX model, and a test case with a
temporary directory and a check for kiln's one-line user errors."""

import os
import pathlib
import subprocess
import tempfile
import unittest

import onnx
from onnx import TensorProto, helper

KILN = os.environ.get("KILN_BINARY", "build/release/kiln")


def run_kiln(*args, timeout=120):
    return subprocess.run([KILN, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def small_model(path, op="Relu", batch="N", opset=13, extra_nodes=(), initializers=()):
    """image[batch,3,4,4] -> op -> output; a symbolic batch unless `batch` is an int."""
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, 3, 4, 4])
    out = helper.make_tensor_value_info("output", TensorProto.FLOAT, [batch, 3, 4, 4])
    nodes = [helper.make_node(op, ["image"], ["output"], name="the_node")]
    graph = helper.make_graph(nodes + list(extra_nodes), "g", [image], [out],
                              initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


class KilnTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def assert_user_error(self, result, *fragments):
        self.assertEqual(result.returncode, 1, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected one line, got: {result.stderr!r}")
        self.assertTrue(lines[0].startswith("kiln: error: "), lines[0])
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
