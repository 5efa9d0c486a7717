// Every op comes out with kiln's canonical meaning (opset 13 + kiln conventions), whatever
// opset the model was exported at.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "kiln/onnx/import.h"
#include "onnx/model_builder.h"

namespace kiln::onnx::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Ints = std::vector<std::int64_t>;
using Floats = std::vector<float>;

// The single node of op `op` in the imported graph.
const ir::Node& only_node(const ImportedModel& m, ir::OpKind op) {
  auto nodes = nodes_of(m.graph, op);
  if (nodes.size() != 1) {
    throw std::runtime_error(fmt::format("expected one {} node, got {}:\n{}", ir::op_name(op),
                                         nodes.size(), m.graph.to_string()));
  }
  return *nodes[0];
}

// ---- Slice ----

ImportedModel slice_model(std::int64_t opset, bool with_axes) {
  ModelBuilder b(opset);
  b.input("x", {4, 6, 8});
  if (opset < 10) {
    NodeProto& n = b.node("Slice", {"x"}, {"y"}, "slice");
    set_attribute(n, "starts", Ints{1, -5});
    set_attribute(n, "ends", Ints{3, std::numeric_limits<std::int64_t>::max()});
    if (with_axes) set_attribute(n, "axes", Ints{0, 2});
  } else {
    b.initializer(int64_tensor("starts", {2}, {1, -5}));
    b.initializer(int64_tensor("ends", {2}, {3, std::numeric_limits<std::int64_t>::max()}));
    if (with_axes) {
      b.initializer(int64_tensor("axes", {2}, {0, 2}));
      b.node("Slice", {"x", "starts", "ends", "axes"}, {"y"}, "slice");
    } else {
      b.node("Slice", {"x", "starts", "ends"}, {"y"}, "slice");
    }
  }
  b.output("y");
  return b.import();
}

TEST(Canonicalize, Slice9AttributesBecomeTheInputsOfSlice13) {
  for (bool with_axes : {true, false}) {
    ImportedModel old_form = slice_model(9, with_axes);
    ImportedModel new_form = slice_model(13, with_axes);
    const ir::Node& a = only_node(old_form, ir::OpKind::kSlice);
    const ir::Node& b = only_node(new_form, ir::OpKind::kSlice);
    EXPECT_TRUE(a.attributes().empty());
    ASSERT_EQ(a.input_count(), b.input_count());
    EXPECT_EQ(a.input_count(), with_axes ? 4u : 3u);
    for (std::size_t i = 1; i < a.input_count(); ++i) {
      EXPECT_EQ(a.input(i)->constant().dtype(), DType::kInt64);
      EXPECT_EQ(constant_ints(a, i), constant_ints(b, i)) << "input " << i;
    }
    EXPECT_EQ(constant_ints(a, 1), (Ints{1, -5}));
    EXPECT_EQ(new_form.onnx_inferred_shapes.at("y"),
              with_axes ? (Shape{2, 6, 5}) : (Shape{2, 5, 8}));
  }
}

// ---- Pad ----

TEST(Canonicalize, Pad2AttributesBecomeInputs) {
  ModelBuilder b(9);
  b.input("x", {1, 2, 3});
  NodeProto& n = b.node("Pad", {"x"}, {"y"}, "pad");
  set_attribute(n, "pads", Ints{0, 1, 2, 0, 0, 1});
  set_attribute(n, "value", -1.5f);
  set_attribute(n, "mode", std::string("constant"));
  b.output("y");
  ImportedModel m = b.import();
  const ir::Node& pad = only_node(m, ir::OpKind::kPad);
  EXPECT_EQ(constant_ints(pad, 1), (Ints{0, 1, 2, 0, 0, 1}));
  EXPECT_EQ(pad.input(2)->constant().description(), "float32[]");
  EXPECT_EQ(constant_floats(pad, 2), (Floats{-1.5f}));
  EXPECT_EQ(pad.attr_string("mode"), "constant");
  EXPECT_FALSE(pad.has_attribute("pads"));
  EXPECT_FALSE(pad.has_attribute("value"));
  EXPECT_EQ(m.onnx_inferred_shapes.at("y"), (Shape{1, 3, 6}));
}

TEST(Canonicalize, Pad2ValueTakesTheDataType) {
  ModelBuilder b(10);
  b.input("x", {2, 2}, TensorProto::FLOAT16);
  NodeProto& n = b.node("Pad", {"x"}, {"y"}, "pad");
  set_attribute(n, "pads", Ints{1, 1, 1, 1});
  set_attribute(n, "value", 2.f);
  set_attribute(n, "mode", std::string("constant"));
  b.output("y", TensorProto::FLOAT16);
  ImportedModel pad_model = b.import();
  const ir::Node& pad = only_node(pad_model, ir::OpKind::kPad);
  EXPECT_EQ(pad.input(2)->constant().description(), "float16[]");
  EXPECT_EQ(constant_floats(pad, 2), (Floats{2.f}));
}

TEST(Canonicalize, Pad2WithoutValueLeavesItAbsent) {
  ModelBuilder b(9);
  b.input("x", {3});
  NodeProto& n = b.node("Pad", {"x"}, {"y"}, "pad");
  set_attribute(n, "pads", Ints{1, 2});
  set_attribute(n, "mode", std::string("reflect"));
  b.output("y");
  ImportedModel pad_model = b.import();
  const ir::Node& pad = only_node(pad_model, ir::OpKind::kPad);
  EXPECT_EQ(pad.input_count(), 2u);
  EXPECT_EQ(pad.attr_string("mode"), "reflect");
}

// ---- Clip ----

TEST(Canonicalize, Clip6AttributesBecomeInputs) {
  ModelBuilder b(9);
  b.input("x", {4});
  NodeProto& both = b.node("Clip", {"x"}, {"a"}, "both");
  set_attribute(both, "min", 0.f);
  set_attribute(both, "max", 6.f);
  NodeProto& max_only = b.node("Clip", {"a"}, {"y"}, "max_only");
  set_attribute(max_only, "max", 1.f);
  b.output("y");
  ImportedModel m = b.import();
  auto clips = nodes_of(m.graph, ir::OpKind::kClip);
  ASSERT_EQ(clips.size(), 2u);
  EXPECT_EQ(constant_floats(*clips[0], 1), (Floats{0.f}));
  EXPECT_EQ(constant_floats(*clips[0], 2), (Floats{6.f}));
  EXPECT_EQ(clips[0]->input(1)->constant().shape().rank(), 0u);
  EXPECT_TRUE(clips[0]->attributes().empty());
  EXPECT_EQ(clips[1]->input(1), nullptr);
  EXPECT_EQ(constant_floats(*clips[1], 2), (Floats{1.f}));
}

TEST(Canonicalize, Clip11InputsPassThrough) {
  ModelBuilder b(11);
  b.input("x", {4});
  b.initializer(float_tensor("lo", {}, {-1.f}));
  b.node("Clip", {"x", "lo"}, {"y"}, "clip");
  b.output("y");
  ImportedModel clip_model = b.import();
  const ir::Node& clip = only_node(clip_model, ir::OpKind::kClip);
  EXPECT_EQ(clip.input_count(), 2u);
  EXPECT_EQ(constant_floats(clip, 1), (Floats{-1.f}));
}

// ---- Split, Squeeze, Unsqueeze ----

TEST(Canonicalize, Split11AttributeBecomesInput) {
  ModelBuilder b(11);
  b.input("x", {2, 10});
  NodeProto& n = b.node("Split", {"x"}, {"a", "b"}, "split");
  set_attribute(n, "axis", std::int64_t{1});
  set_attribute(n, "split", Ints{3, 7});
  NodeProto& even = b.node("Split", {"x"}, {"c", "d"}, "even");
  set_attribute(even, "axis", std::int64_t{-1});
  b.output("a");
  b.output("b");
  b.output("c");
  b.output("d");
  ImportedModel m = b.import();
  auto splits = nodes_of(m.graph, ir::OpKind::kSplit);
  ASSERT_EQ(splits.size(), 2u);
  EXPECT_EQ(constant_ints(*splits[0], 1), (Ints{3, 7}));
  EXPECT_EQ(splits[0]->attr_int("axis"), 1);
  EXPECT_FALSE(splits[0]->has_attribute("split"));
  EXPECT_EQ(splits[0]->output_count(), 2u);
  EXPECT_EQ(splits[1]->input_count(), 1u);
  EXPECT_EQ(m.onnx_inferred_shapes.at("b"), (Shape{2, 7}));
}

TEST(Canonicalize, SqueezeAndUnsqueeze11AxesBecomeInputs) {
  ModelBuilder b(11);
  b.input("x", {3, 1, 4});
  NodeProto& squeeze = b.node("Squeeze", {"x"}, {"s"}, "squeeze");
  set_attribute(squeeze, "axes", Ints{-2});
  NodeProto& unsqueeze = b.node("Unsqueeze", {"s"}, {"u"}, "unsqueeze");
  set_attribute(unsqueeze, "axes", Ints{0, 3});
  b.node("Squeeze", {"u"}, {"y"}, "squeeze_all");
  b.output("y");
  ImportedModel m = b.import();
  auto squeezes = nodes_of(m.graph, ir::OpKind::kSqueeze);
  ASSERT_EQ(squeezes.size(), 2u);
  EXPECT_EQ(constant_ints(*squeezes[0], 1), (Ints{-2}));
  EXPECT_EQ(squeezes[1]->input_count(), 1u) << "no axes: squeeze every 1";
  const ir::Node& u = only_node(m, ir::OpKind::kUnsqueeze);
  EXPECT_EQ(constant_ints(u, 1), (Ints{0, 3}));
  EXPECT_FALSE(u.has_attribute("axes"));
  EXPECT_EQ(m.onnx_inferred_shapes.at("u"), (Shape{1, 3, 4, 1}));
}

TEST(Canonicalize, Unsqueeze13InputPassesThrough) {
  ModelBuilder b(13);
  b.input("x", {3});
  b.constant_ints("axes", {1});
  b.node("Unsqueeze", {"x", "axes"}, {"y"}, "unsqueeze");
  b.output("y");
  ImportedModel u_model = b.import();
  const ir::Node& u = only_node(u_model, ir::OpKind::kUnsqueeze);
  EXPECT_EQ(constant_ints(u, 1), (Ints{1}));
}

// ---- Reduce ops ----

TEST(Canonicalize, ReduceSum13AxesInputBecomesAttribute) {
  ModelBuilder b13(13);
  b13.input("x", {2, 3, 4});
  b13.constant_ints("axes", {0, -1});
  NodeProto& n13 = b13.node("ReduceSum", {"x", "axes"}, {"y"}, "sum");
  set_attribute(n13, "keepdims", std::int64_t{0});
  b13.output("y");
  ImportedModel m13 = b13.import();

  ModelBuilder b11(11);
  b11.input("x", {2, 3, 4});
  NodeProto& n11 = b11.node("ReduceSum", {"x"}, {"y"}, "sum");
  set_attribute(n11, "axes", Ints{0, -1});
  set_attribute(n11, "keepdims", std::int64_t{0});
  b11.output("y");
  ImportedModel m11 = b11.import();

  for (const ImportedModel* m : {&m13, &m11}) {
    const ir::Node& sum = only_node(*m, ir::OpKind::kReduceSum);
    EXPECT_EQ(sum.input_count(), 1u);
    EXPECT_EQ(sum.attr_ints("axes"), (Ints{0, -1}));
    EXPECT_EQ(sum.attr_int("keepdims"), 0);
    EXPECT_EQ(m->onnx_inferred_shapes.at("y"), (Shape{3}));
  }
}

TEST(Canonicalize, ReduceSum13WithoutOrWithEmptyAxesHasNoAxesAttribute) {
  ModelBuilder b(13);
  b.input("x", {2, 3});
  b.initializer(int64_tensor("no_axes", {0}, {}));
  NodeProto& n = b.node("ReduceSum", {"x", "no_axes"}, {"a"}, "empty");
  set_attribute(n, "noop_with_empty_axes", std::int64_t{1});
  b.node("ReduceSum", {"x"}, {"b"}, "absent");
  b.output("a");
  b.output("b");
  ImportedModel m = b.import();
  for (const ir::Node* sum : nodes_of(m.graph, ir::OpKind::kReduceSum)) {
    EXPECT_FALSE(sum->has_attribute("axes")) << sum->name();
    EXPECT_EQ(sum->input_count(), 1u);
  }
  EXPECT_EQ(nodes_of(m.graph, ir::OpKind::kReduceSum)[0]->attr_int("noop_with_empty_axes"), 1);
}

TEST(Canonicalize, ReduceSum13RuntimeAxesAreAnError) {
  ModelBuilder b(13);
  b.input("x", {2, 3});
  b.input("axes", {1}, TensorProto::INT64);
  b.node("ReduceSum", {"x", "axes"}, {"y"}, "sum");
  b.output("y");
  EXPECT_THAT(error_of([&] { b.import(); }), AllOf(HasSubstr("node 'sum' (ReduceSum, opset 13)"),
                                                   HasSubstr("'axes'"), HasSubstr("constant")));
}

TEST(Canonicalize, OtherReduceOpsKeepTheirAxesAttribute) {
  ModelBuilder b(13);
  b.input("x", {2, 3});
  NodeProto& n = b.node("ReduceMean", {"x"}, {"y"}, "mean");
  set_attribute(n, "axes", Ints{1});
  b.output("y");
  ImportedModel mean_model = b.import();
  const ir::Node& mean = only_node(mean_model, ir::OpKind::kReduceMean);
  EXPECT_EQ(mean.attr_ints("axes"), (Ints{1}));
}

// ---- TopK ----

TEST(Canonicalize, TopK1AttributeBecomesInput) {
  ModelBuilder b(9);
  b.input("x", {3, 5});
  NodeProto& n = b.node("TopK", {"x"}, {"values", "indices"}, "topk");
  set_attribute(n, "k", std::int64_t{2});
  set_attribute(n, "axis", std::int64_t{1});
  b.output("values");
  b.output("indices", TensorProto::INT64);
  ImportedModel m = b.import();
  const ir::Node& topk = only_node(m, ir::OpKind::kTopK);
  EXPECT_EQ(constant_ints(topk, 1), (Ints{2}));
  EXPECT_EQ(topk.input(1)->constant().shape(), (Shape{1}));
  EXPECT_FALSE(topk.has_attribute("k"));
  EXPECT_EQ(topk.attr_int("axis"), 1);
  EXPECT_EQ(topk.output_count(), 2u);
  EXPECT_EQ(m.onnx_inferred_shapes.at("indices"), (Shape{3, 2}));
}

// ---- Upsample and Resize ----

void expect_legacy_nearest(const ir::Node& resize, const Floats& scales) {
  EXPECT_EQ(resize.input_count(), 3u);
  EXPECT_EQ(resize.input(1), nullptr) << "roi";
  EXPECT_EQ(constant_floats(resize, 2), scales);
  EXPECT_EQ(resize.attr_string("mode"), "nearest");
  EXPECT_EQ(resize.attr_string("coordinate_transformation_mode"), "asymmetric");
  EXPECT_EQ(resize.attr_string("nearest_mode"), "floor");
}

TEST(Canonicalize, Upsample7ScalesAttributeBecomesResize) {
  for (std::int64_t opset : {7, 8}) {
    ModelBuilder b(opset);
    b.input("x", {1, 2, 3, 3});
    NodeProto& n = b.node("Upsample", {"x"}, {"y"}, "up");
    set_attribute(n, "scales", Floats{1.f, 1.f, 2.f, 2.f});
    b.output("y");
    ImportedModel m = b.import();
    const ir::Node& resize = only_node(m, ir::OpKind::kResize);
    EXPECT_EQ(resize.name(), "up");
    expect_legacy_nearest(resize, {1.f, 1.f, 2.f, 2.f});
    EXPECT_EQ(m.onnx_inferred_shapes.at("y"), (Shape{1, 2, 6, 6}));
  }
}

TEST(Canonicalize, Upsample9ScalesInputBecomesResize) {
  ModelBuilder b(9);
  b.input("x", {1, 2, 3, 3});
  b.initializer(float_tensor("scales", {4}, {1.f, 1.f, 2.f, 3.f}));
  NodeProto& n = b.node("Upsample", {"x", "scales"}, {"y"}, "up");
  set_attribute(n, "mode", std::string("linear"));
  b.output("y");
  ImportedModel resize_model = b.import();
  const ir::Node& resize = only_node(resize_model, ir::OpKind::kResize);
  EXPECT_EQ(resize.input(1), nullptr);
  EXPECT_EQ(resize.input(2)->name(), "scales");
  EXPECT_EQ(resize.attr_string("mode"), "linear");
  EXPECT_EQ(resize.attr_string("coordinate_transformation_mode"), "asymmetric");
  EXPECT_FALSE(resize.has_attribute("nearest_mode"));
}

TEST(Canonicalize, Resize10BecomesResize13Form) {
  ModelBuilder b(10);
  b.input("x", {1, 1, 2, 2});
  b.initializer(float_tensor("scales", {4}, {1.f, 1.f, 2.f, 2.f}));
  b.node("Resize", {"x", "scales"}, {"y"}, "resize");
  b.output("y");
  ImportedModel m = b.import();
  expect_legacy_nearest(only_node(m, ir::OpKind::kResize), {1.f, 1.f, 2.f, 2.f});
  EXPECT_EQ(m.onnx_inferred_shapes.at("y"), (Shape{1, 1, 4, 4}));
}

TEST(Canonicalize, Resize11EmptyPlaceholdersBecomeAbsent) {
  ModelBuilder b(11);
  b.input("x", {1, 1, 2, 2});
  b.initializer(float_tensor("roi", {0}, {}));
  b.initializer(float_tensor("scales", {0}, {}));
  b.initializer(int64_tensor("sizes", {4}, {1, 1, 3, 5}));
  NodeProto& n = b.node("Resize", {"x", "roi", "scales", "sizes"}, {"y"}, "resize");
  set_attribute(n, "mode", std::string("linear"));
  set_attribute(n, "coordinate_transformation_mode", std::string("align_corners"));
  b.output("y");
  ImportedModel m = b.import();
  const ir::Node& resize = only_node(m, ir::OpKind::kResize);
  EXPECT_EQ(resize.input_count(), 4u);
  EXPECT_EQ(resize.input(1), nullptr);
  EXPECT_EQ(resize.input(2), nullptr);
  EXPECT_EQ(constant_ints(resize, 3), (Ints{1, 1, 3, 5}));
  EXPECT_EQ(resize.attr_string("coordinate_transformation_mode"), "align_corners");
}

TEST(Canonicalize, Resize13EmptyNamesAreAbsentAndRoiIsKeptOnlyForCropping) {
  ModelBuilder b(13);
  b.input("x", {1, 1, 4, 4});
  b.initializer(float_tensor("scales", {4}, {1.f, 1.f, 0.5f, 0.5f}));
  b.initializer(float_tensor("roi", {8}, {0, 0, 0, 0, 1, 1, 1, 1}));
  b.node("Resize", {"x", "", "scales"}, {"a"}, "plain");
  NodeProto& crop = b.node("Resize", {"x", "roi", "scales"}, {"b"}, "crop");
  set_attribute(crop, "coordinate_transformation_mode", std::string("tf_crop_and_resize"));
  b.node("Resize", {"x", "roi", "scales"}, {"c"}, "ignored_roi");
  b.output("a");
  b.output("b");
  b.output("c");
  ImportedModel m = b.import();
  auto resizes = nodes_of(m.graph, ir::OpKind::kResize);
  ASSERT_EQ(resizes.size(), 3u);
  EXPECT_EQ(resizes[0]->input(1), nullptr);
  EXPECT_EQ(resizes[0]->input_count(), 3u);
  EXPECT_EQ(resizes[1]->input(1)->name(), "roi");
  EXPECT_EQ(resizes[2]->input(1), nullptr);
}

TEST(Canonicalize, UpsampleBadModeIsAnError) {
  ModelBuilder b(9);
  b.input("x", {1, 1, 2, 2});
  b.initializer(float_tensor("scales", {4}, {1.f, 1.f, 2.f, 2.f}));
  NodeProto& n = b.node("Upsample", {"x", "scales"}, {"y"}, "up");
  set_attribute(n, "mode", std::string("cubic"));
  b.output("y");
  EXPECT_THAT(error_of([&] { b.import(); }),
              AllOf(HasSubstr("node 'up' (Upsample, opset 9)"), HasSubstr("'cubic'")));
}

// ---- Softmax / LogSoftmax ----

ImportedModel softmax_model(std::int64_t opset, const std::string& op,
                            std::optional<std::int64_t> axis, std::vector<Dim> dims = {2, 3, 4}) {
  ModelBuilder b(opset);
  b.input("x", std::move(dims));
  NodeProto& n = b.node(op, {"x"}, {"y"}, "sm");
  if (axis) set_attribute(n, "axis", *axis);
  b.output("y");
  return b.import();
}

TEST(Canonicalize, Softmax11OverTheLastAxisIsUnchanged) {
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    for (std::int64_t axis : {2, -1}) {
      ImportedModel m = softmax_model(11, op, axis);
      ASSERT_EQ(m.graph.node_count(), 1u) << op << " axis " << axis;
      const ir::Node& sm = *m.graph.nodes()[0];
      EXPECT_EQ(sm.op_name(), op);
      EXPECT_EQ(sm.attr_int("axis"), -1);
      EXPECT_EQ(sm.output(0)->name(), "y");
    }
  }
  // Default axis 1 on a rank-2 input is its last axis.
  ImportedModel m = softmax_model(9, "Softmax", std::nullopt, {4, 10});
  ASSERT_EQ(m.graph.node_count(), 1u);
  EXPECT_EQ(m.graph.nodes()[0]->attr_int("axis"), -1);
}

TEST(Canonicalize, Softmax11OverAnInnerAxisFlattensTheTail) {
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    ImportedModel m = softmax_model(11, op, std::nullopt);  // default axis 1 of rank 3
    const auto nodes = m.graph.nodes();
    ASSERT_EQ(nodes.size(), 4u) << m.graph.to_string();
    const ir::Node& flatten = *nodes[0];
    const ir::Node& sm = *nodes[1];
    const ir::Node& shape = *nodes[2];
    const ir::Node& reshape = *nodes[3];
    EXPECT_EQ(flatten.op(), ir::OpKind::kFlatten);
    EXPECT_EQ(flatten.attr_int("axis"), 1);
    EXPECT_EQ(flatten.input(0)->name(), "x");
    EXPECT_EQ(sm.op_name(), op);
    EXPECT_EQ(sm.name(), "sm");
    EXPECT_EQ(sm.attr_int("axis"), -1);
    EXPECT_EQ(sm.input(0), flatten.output(0));
    EXPECT_EQ(shape.op(), ir::OpKind::kShape);
    EXPECT_EQ(shape.input(0)->name(), "x");
    EXPECT_EQ(reshape.op(), ir::OpKind::kReshape);
    EXPECT_EQ(reshape.input(0), sm.output(0));
    EXPECT_EQ(reshape.input(1), shape.output(0));
    EXPECT_EQ(reshape.output(0)->name(), "y");
    EXPECT_EQ(m.graph.outputs()[0], reshape.output(0));
    std::set<std::string> names;
    for (const ir::Node* n : nodes) EXPECT_TRUE(names.insert(n->name()).second) << n->name();
  }
  // axis 0 normalises over everything.
  ImportedModel all = softmax_model(11, "Softmax", 0);
  EXPECT_EQ(nodes_of(all.graph, ir::OpKind::kFlatten)[0]->attr_int("axis"), 0);
}

TEST(Canonicalize, Softmax13IsUnchanged) {
  ImportedModel m = softmax_model(13, "Softmax", 1);
  ASSERT_EQ(m.graph.node_count(), 1u);
  EXPECT_EQ(m.graph.nodes()[0]->attr_int("axis"), 1);
  ImportedModel default_axis = softmax_model(13, "Softmax", std::nullopt);
  EXPECT_FALSE(default_axis.graph.nodes()[0]->has_attribute("axis"));
}

// ---- Cast ----

TEST(Canonicalize, CastToBecomesADtypeName) {
  const std::pair<int, const char*> cases[] = {
      {TensorProto::FLOAT, "float32"},  {TensorProto::FLOAT16, "float16"},
      {TensorProto::DOUBLE, "float64"}, {TensorProto::INT64, "int64"},
      {TensorProto::INT32, "int32"},    {TensorProto::INT8, "int8"},
      {TensorProto::UINT8, "uint8"},    {TensorProto::BOOL, "bool"}};
  for (const auto& [type, name] : cases) {
    ModelBuilder b(9);
    b.input("x", {3});
    NodeProto& n = b.node("Cast", {"x"}, {"y"}, "cast");
    set_attribute(n, "to", std::int64_t{type});
    b.output("y", type);
    EXPECT_EQ(only_node(b.import(), ir::OpKind::kCast).attr_string("to"), name);
  }
}

TEST(Canonicalize, CastToAnUnsupportedTypeIsAnError) {
  ModelBuilder b(13);
  b.input("x", {3});
  NodeProto& n = b.node("Cast", {"x"}, {"y"}, "to_string");
  set_attribute(n, "to", std::int64_t{TensorProto::STRING});
  b.output("y", TensorProto::STRING);
  EXPECT_THAT(error_of([&] { b.import(); }),
              AllOf(HasSubstr("node 'to_string' (Cast, opset 13)"), HasSubstr("STRING")));
}

// ---- inference-only ops ----

TEST(Canonicalize, DropoutBecomesIdentity) {
  for (std::int64_t opset : {7, 12, 13}) {
    ModelBuilder b(opset);
    b.input("x", {2, 3});
    NodeProto& n = b.node("Dropout", {"x"}, {"y", "unused_mask"}, "drop");
    if (opset < 12) set_attribute(n, "ratio", 0.3f);
    b.output("y");
    ImportedModel m = b.import();
    const ir::Node& identity = only_node(m, ir::OpKind::kIdentity);
    EXPECT_EQ(identity.name(), "drop");
    EXPECT_EQ(identity.input_count(), 1u);
    EXPECT_EQ(identity.output_count(), 1u);
    EXPECT_TRUE(identity.attributes().empty());
  }
}

TEST(Canonicalize, DropoutMaskUseIsAnError) {
  ModelBuilder b(13);
  b.input("x", {2, 3});
  b.node("Dropout", {"x"}, {"y", "mask"}, "drop");
  b.node("Not", {"mask"}, {"z"}, "not");
  b.output("y");
  b.output("z", TensorProto::BOOL);
  EXPECT_THAT(error_of([&] { b.import(); }),
              AllOf(HasSubstr("node 'drop' (Dropout, opset 13)"), HasSubstr("'mask'"),
                    HasSubstr("inference mode")));
}

TEST(Canonicalize, DropoutInTrainingModeIsAnError) {
  ModelBuilder b(13);
  b.input("x", {2, 3});
  b.initializer(float_tensor("ratio", {}, {0.5f}));
  TensorProto training =
      raw_tensor("training", TensorProto::BOOL, {}, std::vector<std::uint8_t>{1});
  b.initializer(training);
  b.node("Dropout", {"x", "ratio", "training"}, {"y"}, "drop");
  b.output("y");
  EXPECT_THAT(error_of([&] { b.import(); }), HasSubstr("training_mode is true"));
}

TEST(Canonicalize, DropoutWithRunTimeTrainingModeIsAnError) {
  // Mapping it to Identity would be silently wrong whenever the caller passes true.
  ModelBuilder b(13);
  b.input("x", {2, 3});
  b.input("training", {}, TensorProto::BOOL);
  b.node("Dropout", {"x", "", "training"}, {"y"}, "drop");
  b.output("y");
  EXPECT_THAT(error_of([&] { b.import(); }),
              AllOf(HasSubstr("node 'drop' (Dropout, opset 13)"),
                    HasSubstr("training_mode, 'training') is given at run time")));
}

ModelBuilder batch_norm_model(std::int64_t opset, std::vector<std::string> outputs) {
  ModelBuilder b(opset);
  b.input("x", {1, 2, 3, 3});
  for (const char* name : {"scale", "bias", "mean", "var"}) {
    b.initializer(float_tensor(name, {2}, {1.f, 2.f}));
  }
  NodeProto& n = *b.proto().mutable_graph()->add_node();
  n.set_op_type("BatchNormalization");
  n.set_name("bn");
  for (const char* in : {"x", "scale", "bias", "mean", "var"}) n.add_input(in);
  for (const auto& out : outputs) n.add_output(out);
  set_attribute(n, "epsilon", 1e-3f);
  set_attribute(n, "momentum", 0.9f);
  b.output("y");
  return b;
}

TEST(Canonicalize, BatchNormalizationKeepsInferenceForm) {
  for (std::int64_t opset : {7, 9, 14}) {
    ModelBuilder b = batch_norm_model(opset, {"y"});
    if (opset == 7)
      set_attribute(*b.proto().mutable_graph()->mutable_node(0), "spatial", std::int64_t{1});
    ImportedModel bn_model = b.import();
    const ir::Node& bn = only_node(bn_model, ir::OpKind::kBatchNormalization);
    EXPECT_EQ(bn.input_count(), 5u);
    EXPECT_EQ(bn.output_count(), 1u);
    EXPECT_EQ(bn.attr_float("epsilon"), 1e-3f);
    EXPECT_FALSE(bn.has_attribute("momentum"));
    EXPECT_FALSE(bn.has_attribute("spatial"));
  }
}

TEST(Canonicalize, BatchNormalizationTrainingOutputsUsedAreAnError) {
  const std::vector<std::string> training_outputs = {"y", "running_mean", "running_var",
                                                     "saved_mean", "saved_var"};
  ModelBuilder b = batch_norm_model(9, training_outputs);
  b.output("running_mean");
  EXPECT_THAT(error_of([&] { b.import(); }),
              AllOf(HasSubstr("node 'bn' (BatchNormalization, opset 9)"),
                    HasSubstr("output 1 ('running_mean') is used")));
  // Named but unread training outputs are dropped.
  ModelBuilder unread = batch_norm_model(9, training_outputs);
  EXPECT_EQ(only_node(unread.import(), ir::OpKind::kBatchNormalization).output_count(), 1u);
}

TEST(Canonicalize, BatchNormalizationTrainingModeIsAnError) {
  ModelBuilder b = batch_norm_model(14, {"y"});
  set_attribute(*b.proto().mutable_graph()->mutable_node(0), "training_mode", std::int64_t{1});
  EXPECT_THAT(error_of([&] { b.import(); }), HasSubstr("training_mode=1"));
}

TEST(Canonicalize, MaxPoolIndicesUsedAreAnError) {
  ModelBuilder b(12);
  b.input("x", {1, 1, 4, 4});
  NodeProto& n = b.node("MaxPool", {"x"}, {"y", "indices"}, "pool");
  set_attribute(n, "kernel_shape", Ints{2, 2});
  set_attribute(n, "storage_order", std::int64_t{0});
  b.output("y");
  ImportedModel pool_model = b.import();
  const ir::Node& pool = only_node(pool_model, ir::OpKind::kMaxPool);
  EXPECT_EQ(pool.output_count(), 1u);
  EXPECT_FALSE(pool.has_attribute("storage_order"));
  EXPECT_EQ(pool.attr_ints("kernel_shape"), (Ints{2, 2}));

  b.output("indices", TensorProto::INT64);
  EXPECT_THAT(error_of([&] { b.import(); }),
              AllOf(HasSubstr("node 'pool' (MaxPool, opset 12)"),
                    HasSubstr("output 1 ('indices') is used"), HasSubstr("Indices")));
}

TEST(Canonicalize, LayerNormalizationKeepsItsStatisticsOutputs) {
  ModelBuilder b(17);
  b.input("x", {2, 8});
  b.initializer(float_tensor("gamma", {8}, std::vector<float>(8, 1.f)));
  NodeProto& n = b.node("LayerNormalization", {"x", "gamma"}, {"y", "mean", "inv_std"}, "ln");
  set_attribute(n, "epsilon", 1e-6f);
  set_attribute(n, "stash_type", std::int64_t{1});
  b.output("y");
  b.output("inv_std");
  ImportedModel ln_model = b.import();
  const ir::Node& ln = only_node(ln_model, ir::OpKind::kLayerNormalization);
  EXPECT_EQ(ln.output_count(), 3u);
  EXPECT_EQ(ln.input_count(), 2u);
  EXPECT_EQ(ln.attr_float("epsilon"), 1e-6f);
  EXPECT_FALSE(ln.has_attribute("stash_type"));
  EXPECT_EQ(ln_model.graph.outputs().size(), 2u);
}

// ---- Shape-15, Gemm ----

TEST(Canonicalize, Shape15StartEndBecomeASlice) {
  ModelBuilder b(15);
  b.input("x", {2, 3, 4, 5});
  NodeProto& n = b.node("Shape", {"x"}, {"s"}, "shape");
  set_attribute(n, "start", std::int64_t{1});
  set_attribute(n, "end", std::int64_t{-1});
  NodeProto& tail = b.node("Shape", {"x"}, {"t"}, "tail");
  set_attribute(tail, "start", std::int64_t{-2});
  b.node("Shape", {"x"}, {"u"}, "whole");
  b.output("s", TensorProto::INT64);
  b.output("t", TensorProto::INT64);
  b.output("u", TensorProto::INT64);
  ImportedModel m = b.import();
  auto slices = nodes_of(m.graph, ir::OpKind::kSlice);
  ASSERT_EQ(slices.size(), 2u);
  EXPECT_EQ(slices[0]->input(0)->producer()->name(), "shape");
  EXPECT_EQ(constant_ints(*slices[0], 1), (Ints{1}));
  EXPECT_EQ(constant_ints(*slices[0], 2), (Ints{-1}));
  EXPECT_EQ(constant_ints(*slices[0], 3), (Ints{0}));
  EXPECT_EQ(slices[0]->output(0)->name(), "s");
  EXPECT_EQ(constant_ints(*slices[1], 1), (Ints{-2}));
  EXPECT_EQ(constant_ints(*slices[1], 2), (Ints{std::numeric_limits<std::int64_t>::max()}));
  for (const ir::Node* shape : nodes_of(m.graph, ir::OpKind::kShape)) {
    EXPECT_TRUE(shape->attributes().empty());
  }
  EXPECT_EQ(m.onnx_inferred_shapes.at("s"), (Shape{2}));
}

TEST(Canonicalize, Gemm9KeepsItsRequiredBias) {
  ModelBuilder b(9);
  b.input("a", {2, 3});
  b.initializer(float_tensor("w", {4, 3}, std::vector<float>(12, 0.5f)));
  b.initializer(float_tensor("c", {4}, {1, 2, 3, 4}));
  NodeProto& n = b.node("Gemm", {"a", "w", "c"}, {"y"}, "fc");
  set_attribute(n, "transB", std::int64_t{1});
  set_attribute(n, "alpha", 2.f);
  b.output("y");
  ImportedModel m = b.import();
  const ir::Node& gemm = only_node(m, ir::OpKind::kGemm);
  EXPECT_EQ(gemm.input_count(), 3u);
  EXPECT_EQ(gemm.attr_int("transB"), 1);
  EXPECT_EQ(gemm.attr_float("alpha"), 2.f);
  EXPECT_EQ(m.onnx_inferred_shapes.at("y"), (Shape{2, 4}));
}

TEST(Canonicalize, Opset13OpsPassThroughByName) {
  ModelBuilder b(13);
  b.input("x", {1, 4, 2, 2});
  NodeProto& d2s = b.node("DepthToSpace", {"x"}, {"d"}, "d2s");
  set_attribute(d2s, "blocksize", std::int64_t{2});
  b.node("HardSigmoid", {"d"}, {"h"}, "hs");
  b.node("Erf", {"h"}, {"e"}, "erf");
  NodeProto& transpose = b.node("Transpose", {"e"}, {"y"}, "t");
  set_attribute(transpose, "perm", Ints{0, 1, 3, 2});
  b.output("y");
  ImportedModel m = b.import();
  std::vector<std::string_view> ops;
  for (const ir::Node* n : m.graph.nodes()) ops.push_back(n->op_name());
  EXPECT_THAT(ops, ElementsAre("DepthToSpace", "HardSigmoid", "Erf", "Transpose"));
  EXPECT_EQ(m.onnx_inferred_shapes.at("y"), (Shape{1, 1, 4, 4}));
}

}  // namespace
}  // namespace kiln::onnx::testing
