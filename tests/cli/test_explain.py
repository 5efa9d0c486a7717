"""`kiln info --explain`: the passes that changed the graph, the fused post-ops with the ONNX
nodes they came from, and each node's kernel."""

import unittest

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from cli_support import KilnTestCase, run_kiln


class ExplainTest(KilnTestCase):
    def conv_relu_model(self):
        image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 8, 8])
        out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 4, 8, 8])
        w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32) * 0.1, "w")
        nodes = [
            helper.make_node("Conv", ["image", "w"], ["c"], pads=[1, 1, 1, 1], name="conv"),
            helper.make_node("Relu", ["c"], ["out"], name="relu"),
        ]
        graph = helper.make_graph(nodes, "g", [image], [out], initializer=[w])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        path = self.dir / "conv_relu.onnx"
        onnx.save(model, str(path))
        return path

    def test_explain_shows_the_fusion_and_the_kernel(self):
        result = run_kiln("info", self.conv_relu_model(), "--explain")
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout
        self.assertIn("fuse_post_ops", out)
        self.assertIn("conv Conv+Relu: onednn:", out)
        self.assertIn("fused: relu", out)
        self.assertIn("1 nodes; 1 carry 1 fused post-ops", out)
        self.assertIn("2 imported (Constant nodes become weights), 1 after compilation", out)

    def test_without_explain_no_node_listing(self):
        result = run_kiln("info", self.conv_relu_model())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("fused:", result.stdout)


if __name__ == "__main__":
    unittest.main()
