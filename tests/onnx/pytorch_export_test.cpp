// Real PyTorch exports (tests/onnx/data/pytorch_mixed_opset*.onnx, written by
// export_pytorch_fixtures.py) of one network at opsets 9, 11, 13 and 17 import to the same
// canonical forms.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "kiln/onnx/import.h"
#include "onnx/model_builder.h"

namespace kiln::onnx::testing {
namespace {

using ::testing::ElementsAre;

std::filesystem::path fixture(std::int64_t opset) {
  return std::filesystem::path(KILN_SOURCE_DIR) / "tests" / "onnx" / "data" /
         fmt::format("pytorch_mixed_opset{}.onnx", opset);
}

class PyTorchExport : public ::testing::TestWithParam<std::int64_t> {
 protected:
  void SetUp() override { model_ = import_model(fixture(GetParam()), {.default_batch = 3}); }
  ImportedModel model_;
};

TEST_P(PyTorchExport, ImportsWithTheBatchFixed) {
  EXPECT_EQ(model_.opset, GetParam());
  EXPECT_THAT(model_.producer, ::testing::StartsWith("pytorch"));
  ASSERT_EQ(model_.graph.inputs().size(), 1u);
  EXPECT_EQ(model_.graph.inputs()[0]->type_string(), "float32[3,3,6,8]");
  ASSERT_EQ(model_.graph.outputs().size(), 3u);
  EXPECT_EQ(model_.graph.outputs()[0]->name(), "logits");
  EXPECT_EQ(model_.graph.outputs()[2]->name(), "indices");
  EXPECT_TRUE(model_.warnings.empty());
}

TEST_P(PyTorchExport, ParametersBecomeInputsAndAxesBecomeAttributes) {
  for (const ir::Node* node : model_.graph.nodes()) {
    SCOPED_TRACE(node->describe());
    switch (node->op()) {
      case ir::OpKind::kSlice:
        EXPECT_GE(node->input_count(), 3u);
        EXPECT_FALSE(node->has_attribute("starts"));
        break;
      case ir::OpKind::kPad:
        EXPECT_GE(node->input_count(), 2u);
        EXPECT_FALSE(node->has_attribute("pads"));
        EXPECT_FALSE(node->has_attribute("value"));
        break;
      case ir::OpKind::kClip:
        EXPECT_EQ(node->input_count(), 3u);
        EXPECT_EQ(constant_floats(*node, 1), (std::vector<float>{-0.5f}));
        EXPECT_EQ(constant_floats(*node, 2), (std::vector<float>{0.5f}));
        EXPECT_TRUE(node->attributes().empty());
        break;
      case ir::OpKind::kSplit:
        EXPECT_EQ(constant_ints(*node, 1), (std::vector<std::int64_t>{4, 4}));
        break;
      case ir::OpKind::kSqueeze:
      case ir::OpKind::kUnsqueeze:
        EXPECT_EQ(node->input_count(), 2u);
        EXPECT_FALSE(node->has_attribute("axes"));
        break;
      case ir::OpKind::kReduceSum:
        EXPECT_EQ(node->input_count(), 1u);
        EXPECT_EQ(node->attr_ints("axes"), (std::vector<std::int64_t>{1}));
        break;
      case ir::OpKind::kTopK:
        EXPECT_EQ(constant_ints(*node, 1), (std::vector<std::int64_t>{3}));
        EXPECT_FALSE(node->has_attribute("k"));
        break;
      case ir::OpKind::kSoftmax:
      case ir::OpKind::kLogSoftmax:
        EXPECT_EQ(node->attr_int("axis"), -1);
        break;
      case ir::OpKind::kResize:
        EXPECT_EQ(node->input(1), nullptr) << "roi";
        EXPECT_TRUE(node->input(2) != nullptr && node->input(2)->is_constant()) << "scales";
        break;
      case ir::OpKind::kCast:
        EXPECT_NO_THROW(parse_dtype(node->attr_string("to")));
        break;
      default:
        break;
    }
  }
}

TEST_P(PyTorchExport, ResizeKeepsEachOpsetsSampling) {
  auto resizes = nodes_of(model_.graph, ir::OpKind::kResize);
  ASSERT_EQ(resizes.size(), 2u);
  const ir::Node& nearest = *resizes[0];
  const ir::Node& linear = *resizes[1];
  EXPECT_EQ(nearest.attr_string("mode"), "nearest");
  EXPECT_EQ(linear.attr_string("mode"), "linear");
  if (GetParam() < 11) {
    // Upsample-9: asymmetric coordinates, floor for nearest (what ONNX defined then).
    EXPECT_EQ(nearest.attr_string("coordinate_transformation_mode"), "asymmetric");
    EXPECT_EQ(nearest.attr_string("nearest_mode"), "floor");
    EXPECT_EQ(linear.attr_string("coordinate_transformation_mode"), "asymmetric");
  } else {
    // PyTorch spells out its own sampling from opset 11 on.
    EXPECT_EQ(nearest.attr_string("coordinate_transformation_mode"), "asymmetric");
    EXPECT_EQ(linear.attr_string("coordinate_transformation_mode"), "half_pixel");
  }
  EXPECT_EQ(constant_floats(nearest, 2), (std::vector<float>{1.f, 1.f, 2.f, 2.f}));
}

TEST_P(PyTorchExport, NewerOpsetsUseTheNewerOps) {
  const bool opset17 = GetParam() == 17;
  EXPECT_EQ(nodes_of(model_.graph, ir::OpKind::kLayerNormalization).size(), opset17 ? 1u : 0u);
  EXPECT_EQ(nodes_of(model_.graph, ir::OpKind::kHardSwish).size(), opset17 ? 1u : 0u);
  for (const ir::Node* ln : nodes_of(model_.graph, ir::OpKind::kLayerNormalization)) {
    EXPECT_EQ(ln->output_count(), 1u);
    EXPECT_EQ(ln->attr_int("axis"), -1);
  }
}

TEST_P(PyTorchExport, WeightsAreTheSameInEveryExport) {
  // The same seeded network: its classifier weight must load identically from every file.
  const ir::Node& matmul = *nodes_of(model_.graph, ir::OpKind::kMatMul).at(0);
  const Tensor& weight = matmul.input(1)->constant();
  ASSERT_EQ(weight.description(), "float32[12,5]");
  ImportedModel reference = import_model(fixture(17));
  const Tensor& expected =
      nodes_of(reference.graph, ir::OpKind::kMatMul).at(0)->input(1)->constant();
  EXPECT_EQ(std::memcmp(weight.raw(), expected.raw(), weight.size_bytes()), 0);
}

TEST_P(PyTorchExport, OnnxInferenceFollowsTheFixedBatch) {
  // ONNX's inference gets as far as the resampling in every export (beyond, PyTorch's shape
  // arithmetic stops it); what it found agrees with the batch that was fixed.
  const auto& shapes = model_.onnx_inferred_shapes;
  const std::string resized = GetParam() < 11 ? "/Upsample_1_output_0" : "/Resize_1_output_0";
  ASSERT_TRUE(shapes.contains(resized));
  EXPECT_EQ(shapes.at(resized), (Shape{3, 8, 24, 32}));
  EXPECT_EQ(shapes.at("/MaxPool_output_0"), (Shape{3, 8, 12, 16}));
  if (auto it = shapes.find("logits"); it != shapes.end()) {
    EXPECT_EQ(it->second, (Shape{1, 3, 5}));
  }
}

INSTANTIATE_TEST_SUITE_P(Opsets, PyTorchExport, ::testing::Values(9, 11, 13, 17),
                         [](const auto& info) { return fmt::format("opset{}", info.param); });

}  // namespace
}  // namespace kiln::onnx::testing
