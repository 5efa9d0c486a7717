#include "kiln/compiler/passes/passes.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kiln/compiler/model_statistics.h"
#include "kiln/compiler/pipeline.h"
#include "kiln/runtime/session.h"
#include "testing/single_node.h"

namespace kiln::compiler {
namespace {

using kiln::testing::graph_input;
using kiln::testing::make_tensor;
using kiln::testing::random_tensor;

std::size_t count_ops(const ir::Graph& g, ir::OpKind op) {
  std::size_t n = 0;
  for (const ir::Node* node : g.nodes()) n += node->op() == op;
  return n;
}

// x[2,3,4] -> Shape -> Gather(0) -> Unsqueeze -> Concat(-1) -> Reshape(x): the shape
// arithmetic an exporter writes for a dynamic-batch flatten.
TEST(InferAndFoldConstants, FoldsShapeArithmeticIntoAConstantReshape) {
  ir::Graph g;
  ir::Value* x = graph_input(g, "x", Shape{2, 3, 4});
  ir::Value* shape = g.add_value("shape");
  ir::Value* batch = g.add_value("batch");
  ir::Value* batch_1d = g.add_value("batch_1d");
  ir::Value* target = g.add_value("target");
  ir::Value* y = g.add_value("y");
  g.add_node(ir::OpKind::kShape, "shape", {x}, {shape});
  g.add_node(ir::OpKind::kGather, "gather",
             {shape, g.add_constant("zero", make_tensor<std::int64_t>(Shape{}, {0}))}, {batch});
  g.add_node(ir::OpKind::kUnsqueeze, "unsqueeze",
             {batch, g.add_constant("axes", make_tensor<std::int64_t>(Shape{1}, {0}))}, {batch_1d});
  g.add_node(ir::OpKind::kConcat, "concat",
             {batch_1d, g.add_constant("minus_one", make_tensor<std::int64_t>(Shape{1}, {-1}))},
             {target}, {{"axis", std::int64_t{0}}});
  g.add_node(ir::OpKind::kReshape, "reshape", {x, target}, {y});
  g.outputs().push_back(y);

  PassContext context;
  compile(g, CompileOptions{}, context);
  ASSERT_EQ(g.node_count(), 1u) << g.to_string();
  EXPECT_EQ(g.nodes()[0]->op(), ir::OpKind::kReshape);
  EXPECT_TRUE(g.nodes()[0]->input(1)->is_constant());
  EXPECT_EQ(g.nodes()[0]->input(1)->constant().to_int64_vector(),
            (std::vector<std::int64_t>{2, -1}));
  EXPECT_EQ(y->shape(), (Shape{2, 12}));
}

TEST(InferAndFoldConstants, FoldsWeightCastsAndCrossChecksReferenceShapes) {
  ir::Graph g;
  ir::Value* x = graph_input(g, "x", Shape{4});
  Tensor half(DType::kFloat16, Shape{4});
  for (int i = 0; i < 4; ++i) static_cast<std::uint16_t*>(half.raw())[i] = float_to_half(i * 0.5f);
  ir::Value* w16 = g.add_constant("w16", half);
  ir::Value* w = g.add_value("w");
  ir::Value* y = g.add_value("y");
  g.add_node(ir::OpKind::kCast, "cast", {w16}, {w}, {{"to", std::string("float32")}});
  g.add_node(ir::OpKind::kMul, "mul", {x, w}, {y});
  g.outputs().push_back(y);

  std::map<std::string, Shape, std::less<>> onnx_shapes = {{"y", Shape{5}}};  // wrong on purpose
  PassContext bad;
  bad.reference_shapes = &onnx_shapes;
  try {
    compile(g, CompileOptions{}, bad);
    FAIL() << "a shape disagreeing with ONNX's inference must be reported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'mul' (Mul)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[5]"), std::string::npos) << e.what();
  }
}

TEST(InferAndFoldConstants, CastOfHalfWeightsBecomesAFloatConstant) {
  ir::Graph g;
  ir::Value* x = graph_input(g, "x", Shape{4});
  Tensor half(DType::kFloat16, Shape{4});
  for (int i = 0; i < 4; ++i) static_cast<std::uint16_t*>(half.raw())[i] = float_to_half(i * 0.5f);
  ir::Value* w = g.add_value("w");
  ir::Value* y = g.add_value("y");
  g.add_node(ir::OpKind::kCast, "cast", {g.add_constant("w16", half)}, {w},
             {{"to", std::string("float32")}});
  g.add_node(ir::OpKind::kMul, "mul", {x, w}, {y});
  g.outputs().push_back(y);
  PassContext context;
  compile(g, CompileOptions{}, context);
  ASSERT_EQ(g.node_count(), 1u);
  const ir::Value* folded = g.nodes()[0]->input(1);
  ASSERT_TRUE(folded->is_constant());
  EXPECT_EQ(folded->dtype(), DType::kFloat32);
  EXPECT_EQ(folded->constant().data<float>()[3], 1.5f);
}

TEST(EliminateIdentityAndDeadNodes, KeepOutputNamesAndDropUnusedWork) {
  ir::Graph g;
  ir::Value* x = graph_input(g, "x", Shape{3});
  ir::Value* a = g.add_value("a");
  ir::Value* y = g.add_value("y");
  ir::Value* unused = g.add_value("unused");
  g.add_node(ir::OpKind::kRelu, "relu", {x}, {a});
  g.add_node(ir::OpKind::kIdentity, "identity", {a}, {y});
  g.add_node(ir::OpKind::kNeg, "dead", {x}, {unused});
  g.outputs().push_back(y);
  PassContext context;
  compile(g, CompileOptions{}, context);
  ASSERT_EQ(g.node_count(), 1u) << g.to_string();
  EXPECT_EQ(g.nodes()[0]->name(), "relu");
  EXPECT_EQ(g.nodes()[0]->output(0)->name(), "y");  // the graph output keeps its name
  EXPECT_EQ(g.outputs()[0]->name(), "y");
}

TEST(EliminateIdentity, KeepsAnIdentityFromInputToOutput) {
  ir::Graph g;
  ir::Value* x = graph_input(g, "x", Shape{3});
  ir::Value* y = g.add_value("y");
  g.add_node(ir::OpKind::kIdentity, "identity", {x}, {y});
  g.outputs().push_back(y);
  PassContext context;
  compile(g, CompileOptions{}, context);
  EXPECT_EQ(g.node_count(), 1u);
  EXPECT_FALSE(context.remarks.empty());
}

// Conv -> BatchNormalization, run before and after folding: same numbers, no BN left.
TEST(FoldBatchnormIntoConv, FoldsAndKeepsTheNumbers) {
  auto build = [](ir::Graph& g) {
    ir::Value* x = graph_input(g, "x", Shape{1, 3, 5, 5});
    ir::Value* c = g.add_value("c");
    ir::Value* y = g.add_value("y");
    g.add_node(ir::OpKind::kConv, "conv",
               {x, g.add_constant("w", random_tensor(Shape{4, 3, 3, 3}, 1)),
                g.add_constant("b", random_tensor(Shape{4}, 2))},
               {c}, {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
    g.add_node(ir::OpKind::kBatchNormalization, "bn",
               {c, g.add_constant("scale", random_tensor(Shape{4}, 3, 0.5f, 2.f)),
                g.add_constant("shift", random_tensor(Shape{4}, 4)),
                g.add_constant("mean", random_tensor(Shape{4}, 5)),
                g.add_constant("var", random_tensor(Shape{4}, 6, 0.1f, 3.f))},
               {y}, {{"epsilon", 1e-5f}});
    g.outputs().push_back(y);
  };
  const Tensor input = random_tensor(Shape{1, 3, 5, 5}, 7);
  ir::Graph kept_graph;
  build(kept_graph);
  SessionOptions keep;
  keep.compile.fold_batchnorm = false;
  Session kept(std::move(kept_graph), keep);
  EXPECT_EQ(count_ops(kept.graph(), ir::OpKind::kBatchNormalization), 1u);

  ir::Graph folded_graph;
  build(folded_graph);
  Session folded(std::move(folded_graph));
  EXPECT_EQ(count_ops(folded.graph(), ir::OpKind::kBatchNormalization), 0u);
  EXPECT_EQ(folded.outputs()[0].name, "y");

  const std::vector<Tensor> a = kept.run(std::vector<Tensor>{input});
  const std::vector<Tensor> b = folded.run(std::vector<Tensor>{input});
  kiln::testing::expect_tensor_near(b[0], a[0], 1e-5f, 1e-5f);
}

TEST(ModelStatistics, CountsParametersAndMacs) {
  ir::Graph g;
  ir::Value* x = graph_input(g, "x", Shape{2, 3, 8, 8});
  ir::Value* c = g.add_value("c");
  ir::Value* y = g.add_value("y");
  g.add_node(ir::OpKind::kConv, "conv",
             {x, g.add_constant("w", Tensor(DType::kFloat32, Shape{6, 3, 3, 3})),
              g.add_constant("b", Tensor(DType::kFloat32, Shape{6}))},
             {c}, {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
  g.add_node(ir::OpKind::kRelu, "relu", {c}, {y});
  g.outputs().push_back(y);
  PassContext context;
  compile(g, CompileOptions{}, context);
  const ModelStatistics stats = compute_statistics(g);
  EXPECT_EQ(stats.parameters, 6 * 3 * 9 + 6);
  EXPECT_EQ(stats.macs, 2 * 6 * 8 * 8 * (3 * 9));
  EXPECT_EQ(stats.op_histogram.at("Conv"), 1);
}

}  // namespace
}  // namespace kiln::compiler

namespace kiln::compiler {
namespace {

// y = 0.5 * x * (1 + erf(x / sqrt 2)), written as PyTorch exports it (or with the 0.5 first).
void build_exported_gelu(ir::Graph& g, bool half_first) {
  ir::Value* x = graph_input(g, "x", Shape{2, 5});
  auto scalar = [&](const std::string& name, float v) {
    return g.add_constant(name, make_tensor<float>(Shape{}, {v}));
  };
  auto value = [&](const std::string& name) { return g.add_value(name); };
  ir::Value* scaled = value("scaled");
  ir::Value* erf = value("erf");
  ir::Value* one_plus = value("one_plus");
  ir::Value* y = value("y");
  g.add_node(ir::OpKind::kDiv, "div", {x, scalar("sqrt2", 1.4142135f)}, {scaled});
  g.add_node(ir::OpKind::kErf, "erf", {scaled}, {erf});
  g.add_node(ir::OpKind::kAdd, "add", {scalar("one", 1.f), erf}, {one_plus});
  if (half_first) {
    ir::Value* half_x = value("half_x");
    g.add_node(ir::OpKind::kMul, "half", {x, scalar("half", 0.5f)}, {half_x});
    g.add_node(ir::OpKind::kMul, "mul", {half_x, one_plus}, {y});
  } else {
    ir::Value* product = value("product");
    g.add_node(ir::OpKind::kMul, "mul", {x, one_plus}, {product});
    g.add_node(ir::OpKind::kMul, "half", {product, scalar("half", 0.5f)}, {y});
  }
  g.outputs().push_back(y);
}

TEST(FuseGelu, ReplacesTheExportedChainAndKeepsTheNumbers) {
  for (bool half_first : {false, true}) {
    SCOPED_TRACE(half_first ? "0.5 applied to x first" : "0.5 applied last");
    ir::Graph g;
    build_exported_gelu(g, half_first);
    Session session(std::move(g));
    ASSERT_EQ(session.graph().node_count(), 1u) << session.graph().to_string();
    EXPECT_EQ(session.graph().nodes()[0]->op(), ir::OpKind::kGelu);
    EXPECT_EQ(session.outputs()[0].name, "y");
    const Tensor x = random_tensor(Shape{2, 5}, 11, -4.f, 4.f);
    const Tensor y = session.run(std::vector<Tensor>{x})[0];
    for (int i = 0; i < 10; ++i) {
      const double v = x.data<float>()[i];
      EXPECT_NEAR(y.data<float>()[i], 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))), 1e-6);
    }
  }
}

TEST(FuseGelu, LeavesAChainWhoseIntermediateIsUsedElsewhere) {
  ir::Graph g;
  build_exported_gelu(g, false);
  g.outputs().push_back(g.find_value("erf"));  // the erf is needed on its own
  PassContext context;
  compile(g, CompileOptions{}, context);
  EXPECT_EQ(count_ops(g, ir::OpKind::kGelu), 0u);
  EXPECT_EQ(count_ops(g, ir::OpKind::kErf), 1u);
}

}  // namespace
}  // namespace kiln::compiler

namespace kiln::compiler {
namespace {

TEST(FuseSilu, ReplacesSigmoidTimesInputInEitherOrder) {
  for (bool sigmoid_first : {false, true}) {
    ir::Graph g;
    ir::Value* x = graph_input(g, "x", Shape{2, 7});
    ir::Value* s = g.add_value("s");
    ir::Value* y = g.add_value("y");
    g.add_node(ir::OpKind::kSigmoid, "sigmoid", {x}, {s});
    g.add_node(ir::OpKind::kMul, "mul", sigmoid_first ? std::vector{s, x} : std::vector{x, s}, {y});
    g.outputs().push_back(y);
    Session session(std::move(g));
    ASSERT_EQ(session.graph().node_count(), 1u) << session.graph().to_string();
    EXPECT_EQ(session.graph().nodes()[0]->op(), ir::OpKind::kSilu);
    const Tensor input = random_tensor(Shape{2, 7}, 4, -30.f, 30.f);
    const Tensor out = session.run(std::vector<Tensor>{input})[0];
    for (int i = 0; i < 14; ++i) {
      const double v = input.data<float>()[i];
      EXPECT_NEAR(out.data<float>()[i], v / (1 + std::exp(-v)), 1e-5 * (1 + std::fabs(v)));
    }
  }
}

TEST(FuseSilu, LeavesASigmoidThatIsUsedElsewhereOrMultipliesSomethingElse) {
  ir::Graph g;
  ir::Value* x = graph_input(g, "x", Shape{3});
  ir::Value* z = graph_input(g, "z", Shape{3});
  ir::Value* s = g.add_value("s");
  ir::Value* y = g.add_value("y");
  g.add_node(ir::OpKind::kSigmoid, "sigmoid", {x}, {s});
  g.add_node(ir::OpKind::kMul, "mul", {z, s}, {y});  // a gate on another tensor: not SiLU
  g.outputs().push_back(y);
  PassContext context;
  compile(g, CompileOptions{}, context);
  EXPECT_EQ(count_ops(g, ir::OpKind::kSilu), 0u);
  EXPECT_EQ(count_ops(g, ir::OpKind::kSigmoid), 1u);
}

}  // namespace
}  // namespace kiln::compiler
