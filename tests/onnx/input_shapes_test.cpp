// Fixing input shapes (symbolic batch, --shape, constant inputs) and ONNX shape inference.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kiln/onnx/import.h"
#include "onnx/model_builder.h"

namespace kiln::onnx::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// image[batch,3,H,W] -> Relu -> GlobalAveragePool -> y, plus a static second input.
ModelBuilder image_model(std::vector<Dim> image_dims) {
  ModelBuilder b(13);
  b.input("image", std::move(image_dims));
  b.input("scale", {1});
  b.node("Relu", {"image"}, {"r"});
  b.node("Mul", {"r", "scale"}, {"m"});
  b.node("GlobalAveragePool", {"m"}, {"y"});
  b.output("y");
  return b;
}

Shape input_shape(const ImportedModel& m, const std::string& name) {
  for (const ir::Value* v : m.graph.inputs()) {
    if (v->name() == name) return v->shape();
  }
  ADD_FAILURE() << "no input " << name;
  return {};
}

TEST(InputShapes, SymbolicBatchBecomesTheDefaultBatch) {
  ModelBuilder b = image_model({"batch", 3, 8, 8});
  ImportedModel one = b.import();
  EXPECT_EQ(input_shape(one, "image"), (Shape{1, 3, 8, 8}));
  EXPECT_EQ(one.graph.inputs()[0]->dtype(), DType::kFloat32);
  EXPECT_EQ(input_shape(one, "scale"), (Shape{1}));
  EXPECT_EQ(one.onnx_inferred_shapes.at("y"), (Shape{1, 3, 1, 1}));

  ImportedModel four = b.import({.default_batch = 4});
  EXPECT_EQ(input_shape(four, "image"), (Shape{4, 3, 8, 8}));
  EXPECT_EQ(four.onnx_inferred_shapes.at("r"), (Shape{4, 3, 8, 8}));
  EXPECT_EQ(four.onnx_inferred_shapes.at("y"), (Shape{4, 3, 1, 1}));
}

TEST(InputShapes, UnnamedDynamicBatchDimIsSymbolicToo) {
  ModelBuilder b = image_model({"batch", 3, 8, 8});
  b.proto()
      .mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->Clear();  // neither dim_value nor dim_param
  EXPECT_EQ(input_shape(b.import({.default_batch = 2}), "image"), (Shape{2, 3, 8, 8}));
}

TEST(InputShapes, UserShapeOverridesSymbolicDims) {
  ModelBuilder b = image_model({"batch", 3, "height", "width"});
  ImportedModel m = b.import({.input_shapes = {{"image", {2, 3, 16, 12}}}});
  EXPECT_EQ(input_shape(m, "image"), (Shape{2, 3, 16, 12}));
  EXPECT_EQ(m.onnx_inferred_shapes.at("m"), (Shape{2, 3, 16, 12}));
}

TEST(InputShapes, SymbolicSpatialDimsNeedAShape) {
  ModelBuilder b = image_model({"batch", 3, "height", 8});
  EXPECT_THAT(error_of([&] { b.import(); }),
              AllOf(HasSubstr("input 'image'"), HasSubstr("[batch,3,height,8]"),
                    HasSubstr("dim 2 ('height') is symbolic"), HasSubstr("--shape image:")));
}

TEST(InputShapes, UnknownNameListsTheRealInputs) {
  ModelBuilder b = image_model({"batch", 3, 8, 8});
  b.initializer(float_tensor("scale", {1}, {2.f}));  // "scale" is now a constant, not an input
  EXPECT_THAT(error_of([&] {
                b.import({.input_shapes = {{"images", {1, 3, 8, 8}}}});
              }),
              AllOf(HasSubstr("--shape images:1,3,8,8 names input 'images'"),
                    HasSubstr("the model's inputs are 'image'")));
  EXPECT_THAT(error_of([&] {
                b.import({.input_shapes = {{"scale", {1}}}});
              }),
              HasSubstr("the model's inputs are 'image'"));
}

TEST(InputShapes, RankMustMatch) {
  ModelBuilder b = image_model({"batch", 3, 8, 8});
  EXPECT_THAT(error_of([&] {
                b.import({.input_shapes = {{"image", {1, 3, 8}}}});
              }),
              AllOf(HasSubstr("--shape image:1,3,8 has rank 3"),
                    HasSubstr("input 'image' has rank 4 [batch,3,8,8]")));
}

TEST(InputShapes, StaticDimsCannotBeContradicted) {
  ModelBuilder b = image_model({"batch", 3, 8, 8});
  EXPECT_THAT(error_of([&] {
                b.import({.input_shapes = {{"image", {1, 4, 8, 8}}}});
              }),
              AllOf(HasSubstr("gives dim 1 as 4"), HasSubstr("the model fixes it to 3")));
  // Restating a static dim is fine.
  EXPECT_EQ(input_shape(b.import({.input_shapes = {{"image", {5, 3, 8, 8}}}}), "image"),
            (Shape{5, 3, 8, 8}));
}

TEST(InputShapes, DimsCannotBeNegative) {
  ModelBuilder b = image_model({"batch", 3, 8, 8});
  EXPECT_THAT(error_of([&] {
                b.import({.input_shapes = {{"image", {-1, 3, 8, 8}}}});
              }),
              HasSubstr("dim 0 is -1"));
  // Zero-size tensors are legal ONNX (ONNX's own tests feed some).
  EXPECT_EQ(input_shape(b.import({.input_shapes = {{"image", {0, 3, 8, 8}}}}), "image"),
            (Shape{0, 3, 8, 8}));
  EXPECT_THAT(error_of([&] { b.import({.default_batch = 0}); }),
              HasSubstr("default batch size must be positive"));
}

TEST(InputShapes, OverflowingShapeIsAnErrorNamingTheFlag) {
  ModelBuilder b = image_model({"batch", 3, 224, 224});
  EXPECT_THAT(error_of([&] {
                b.import({.input_shapes = {{"image", {4611686018427387905, 3, 224, 224}}}});
              }),
              AllOf(HasSubstr("input 'image' (--shape image:4611686018427387905,3,224,224)"),
                    HasSubstr("overflows 64 bits")));
}

TEST(InputShapes, BatchOverTheTensorLimitIsAnErrorBeforeAllocating) {
  ModelBuilder b = image_model({"batch", 3, 224, 224});
  // 2^30 images of 3x224x224 float32: 548 TiB, over any machine's default limit.
  EXPECT_THAT(error_of([&] { b.import({.default_batch = 1073741824}); }),
              AllOf(HasSubstr("input 'image' at batch 1073741824"),
                    HasSubstr("float32 tensor of shape [1073741824,3,224,224]"),
                    HasSubstr("KILN_MAX_TENSOR_BYTES")));
  EXPECT_THAT(error_of([&] { b.import({.default_batch = 4611686018427387905}); }),
              HasSubstr("overflows 64 bits"));
}

TEST(InputShapes, UnsupportedInputTypeIsNamed) {
  ModelBuilder b(13);
  b.input("ids", {4}, TensorProto::UINT16);
  b.node("Identity", {"ids"}, {"y"});
  b.output("y", TensorProto::UINT16);
  EXPECT_THAT(error_of([&] { b.import(); }), AllOf(HasSubstr("input 'ids'"), HasSubstr("UINT16")));
}

TEST(InputShapes, IntegerAndBoolInputsKeepTheirTypes) {
  ModelBuilder b(13);
  b.input("ids", {"batch", 7}, TensorProto::INT64);
  b.input("mask", {"batch", 7}, TensorProto::BOOL);
  b.node("Cast", {"mask"}, {"mask64"});
  set_attribute(*b.proto().mutable_graph()->mutable_node(0), "to",
                std::int64_t{TensorProto::INT64});
  b.node("Mul", {"ids", "mask64"}, {"y"});
  b.output("y", TensorProto::INT64);
  ImportedModel m = b.import({.default_batch = 3});
  EXPECT_EQ(m.graph.inputs()[0]->type_string(), "int64[3,7]");
  EXPECT_EQ(m.graph.inputs()[1]->type_string(), "bool[3,7]");
  EXPECT_EQ(m.onnx_inferred_shapes.at("y"), (Shape{3, 7}));
}

TEST(ConstantInputs, BecomeConstantsAndFeedCanonicalisation) {
  ModelBuilder b(13);
  b.input("data", {"batch", 4});
  b.input("axes", {1}, TensorProto::INT64);
  b.node("ReduceSum", {"data", "axes"}, {"y"}, "sum");
  b.output("y");
  Tensor axes(DType::kInt64, Shape{1});
  axes.data<std::int64_t>()[0] = 1;
  ImportedModel m = b.import({.constant_inputs = {{"axes", axes}}});
  ASSERT_EQ(m.graph.inputs().size(), 1u);
  EXPECT_EQ(m.graph.inputs()[0]->name(), "data");
  const ir::Node* sum = m.graph.nodes()[0];
  EXPECT_EQ(sum->attr_ints("axes"), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(sum->input_count(), 1u);
  EXPECT_EQ(m.onnx_inferred_shapes.at("y"), (Shape{1, 1}));
}

TEST(ConstantInputs, MustFitTheDeclaredInput) {
  ModelBuilder b(13);
  b.input("data", {2, 4});
  b.input("axes", {1}, TensorProto::INT64);
  b.node("ReduceSum", {"data", "axes"}, {"y"}, "sum");
  b.output("y");
  EXPECT_THAT(error_of([&] {
                b.import({.constant_inputs = {{"axes", Tensor(DType::kInt32, Shape{1})}}});
              }),
              AllOf(HasSubstr("constant input 'axes' (int32[1])"), HasSubstr("INT64")));
  EXPECT_THAT(error_of([&] {
                b.import({.constant_inputs = {{"axes", Tensor(DType::kInt64, Shape{2})}}});
              }),
              HasSubstr("gives dim 0 as 2"));
  EXPECT_THAT(error_of([&] {
                b.import({.constant_inputs = {{"nope", Tensor(DType::kInt64, Shape{1})}}});
              }),
              HasSubstr("the model's inputs are 'data', 'axes'"));
}

TEST(ShapeInference, StaleOutputShapesDoNotRejectTheModel) {
  // Exported for batch 1 with the batch marked dynamic on the input only: the declared output
  // and value_info shapes say 1, the fixed input says 4. ONNX inference must not fail on it.
  ModelBuilder b(13);
  b.input("x", {"batch", 3});
  b.node("Relu", {"x"}, {"r"});
  b.node("Relu", {"r"}, {"y"});
  b.output("y", TensorProto::FLOAT, {1, 3});
  auto* info = b.proto().mutable_graph()->add_value_info();
  info->set_name("r");
  info->mutable_type()->mutable_tensor_type()->set_elem_type(TensorProto::FLOAT);
  auto* shape = info->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->add_dim()->set_dim_value(1);
  shape->add_dim()->set_dim_value(3);
  ImportedModel m = b.import({.default_batch = 4});
  EXPECT_TRUE(m.warnings.empty());
  EXPECT_EQ(m.onnx_inferred_shapes.at("r"), (Shape{4, 3}));
  EXPECT_EQ(m.onnx_inferred_shapes.at("y"), (Shape{4, 3}));
}

TEST(ShapeInference, DataPropagationFindsComputedShapes) {
  // ConstantOfShape(Shape(Gather(...))): only ONNX's data propagation knows the shape data.
  ModelBuilder b(13);
  b.input("x", {"batch", 2, 3});
  b.node("Shape", {"x"}, {"s"});
  b.initializer(int64_tensor("first_two", {2}, {0, 1}));
  b.node("Gather", {"s", "first_two"}, {"s2"});
  b.node("ConstantOfShape", {"s2"}, {"y"});
  b.output("y");
  ImportedModel m = b.import({.default_batch = 5});
  EXPECT_EQ(m.onnx_inferred_shapes.at("y"), (Shape{5, 2}));
}

}  // namespace
}  // namespace kiln::onnx::testing
