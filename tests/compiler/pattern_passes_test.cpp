// fuse_layer_norm, reduce_mean_to_global_pool and fold_pad_into_conv: the structure after each
// rewrite and the numbers against the same graph compiled without it.

#include <gtest/gtest.h>

#include "kiln/compiler/pipeline.h"
#include "kiln/runtime/session.h"
#include "testing/single_node.h"

namespace kiln::compiler {
namespace {

using ir::OpKind;
using kiln::testing::graph_input;
using kiln::testing::random_tensor;

std::size_t count_ops(const ir::Graph& g, OpKind op) {
  std::size_t n = 0;
  for (const ir::Node* node : g.nodes()) n += node->op() == op;
  return n;
}

ir::Value* add(ir::Graph& g, OpKind op, const std::string& name, std::vector<ir::Value*> inputs,
               ir::Attributes attributes = {}) {
  ir::Value* out = g.add_value(name);
  g.add_node(op, name, std::move(inputs), {out}, std::move(attributes));
  return out;
}

ir::Value* scalar(ir::Graph& g, const std::string& name, float value) {
  Tensor t(DType::kFloat32, Shape{});
  t.data<float>()[0] = value;
  return g.add_constant(name, std::move(t));
}

// Compiles and runs the graph `build` makes. The oracle for a rewrite is the same graph with the
// pattern broken (an intermediate made a graph output, so the pass must leave it) or a value
// computed by hand.
struct Result {
  std::vector<Tensor> outputs;
  std::string listing;
  std::size_t layer_norms = 0, global_pools = 0, pads = 0, reduce_means = 0;
};

Result run(const std::function<void(ir::Graph&)>& build) {
  ir::Graph g;
  build(g);
  SessionOptions options;
  options.threads = 2;
  Session session(std::move(g), options);
  std::vector<Tensor> inputs;
  std::uint32_t seed = 7;
  for (const TensorSignature& in : session.inputs()) {
    inputs.push_back(random_tensor(in.shape, seed++, -2.f, 3.f));
  }
  Result r;
  r.outputs = session.run(inputs);
  r.listing = session.graph().to_string();
  r.layer_norms = count_ops(session.graph(), OpKind::kLayerNormalization);
  r.global_pools = count_ops(session.graph(), OpKind::kGlobalAveragePool);
  r.pads = count_ops(session.graph(), OpKind::kPad);
  r.reduce_means = count_ops(session.graph(), OpKind::kReduceMean);
  return r;
}

// The exported LayerNorm over the last axis of x; `keep_intermediate` also makes the centred
// tensor a graph output, which must stop the fusion (the oracle).
void exported_layer_norm(ir::Graph& g, bool keep_intermediate, bool affine) {
  ir::Value* x = graph_input(g, "x", Shape{2, 5, 12});
  const ir::Attributes last_axis = {{"axes", std::vector<std::int64_t>{-1}}};
  ir::Value* mean = add(g, OpKind::kReduceMean, "mean", {x}, last_axis);
  ir::Value* d = add(g, OpKind::kSub, "d", {x, mean});
  ir::Value* p = add(g, OpKind::kPow, "p", {d, scalar(g, "two", 2.f)});
  ir::Value* var = add(g, OpKind::kReduceMean, "var", {p}, last_axis);
  ir::Value* v = add(g, OpKind::kAdd, "v", {var, scalar(g, "eps", 1e-5f)});
  ir::Value* s = add(g, OpKind::kSqrt, "s", {v});
  ir::Value* y = add(g, OpKind::kDiv, "y", {d, s});
  if (affine) {
    y = add(g, OpKind::kMul, "scaled", {y, g.add_constant("gamma", random_tensor(Shape{12}, 1))});
    y = add(g, OpKind::kAdd, "shifted",
            {g.add_constant("beta", random_tensor(Shape{1, 1, 12}, 2)), y});
  }
  g.outputs().push_back(y);
  if (keep_intermediate) g.outputs().push_back(d);
}

TEST(FuseLayerNorm, ReplacesTheExportedChainAndKeepsTheNumbers) {
  for (bool affine : {true, false}) {
    SCOPED_TRACE(affine);
    const Result fused = run([&](ir::Graph& g) { exported_layer_norm(g, false, affine); });
    const Result unfused = run([&](ir::Graph& g) { exported_layer_norm(g, true, affine); });
    EXPECT_EQ(fused.layer_norms, 1u) << fused.listing;
    EXPECT_EQ(fused.reduce_means, 0u) << fused.listing;
    EXPECT_EQ(unfused.layer_norms, 0u) << unfused.listing;
    kiln::testing::expect_tensor_near(fused.outputs[0], unfused.outputs[0], 1e-4f, 1e-5f);
  }
}

// Squeeze-excitation's pooling, keepdims or not; over H only it stays a ReduceMean.
void spatial_mean(ir::Graph& g, std::vector<std::int64_t> axes, std::int64_t keepdims) {
  ir::Value* x = graph_input(g, "x", Shape{2, 6, 5, 7});
  ir::Value* r =
      add(g, OpKind::kReduceMean, "mean", {x}, {{"axes", std::move(axes)}, {"keepdims", keepdims}});
  g.outputs().push_back(add(g, OpKind::kRelu, "relu", {r}));
}

TEST(ReduceMeanToGlobalPool, SpatialMeansBecomeGlobalPooling) {
  for (std::int64_t keepdims : {1, 0}) {
    SCOPED_TRACE(keepdims);
    const Result pooled = run([&](ir::Graph& g) { spatial_mean(g, {2, 3}, keepdims); });
    const Result negative = run([&](ir::Graph& g) { spatial_mean(g, {-1, -2}, keepdims); });
    EXPECT_EQ(pooled.global_pools, 1u) << pooled.listing;
    EXPECT_EQ(negative.global_pools, 1u) << negative.listing;
    EXPECT_EQ(pooled.outputs[0].shape(), keepdims ? (Shape{2, 6, 1, 1}) : (Shape{2, 6}));
    // The oracle: computed by hand.
    const Tensor x = random_tensor(Shape{2, 6, 5, 7}, 7, -2.f, 3.f);
    for (std::int64_t nc = 0; nc < 12; ++nc) {
      double sum = 0;
      for (std::int64_t i = 0; i < 35; ++i) sum += x.data<float>()[nc * 35 + i];
      const float expected = std::max(0.f, static_cast<float>(sum / 35));
      EXPECT_NEAR(pooled.outputs[0].data<float>()[nc], expected, 1e-5f) << nc;
      EXPECT_NEAR(negative.outputs[0].data<float>()[nc], expected, 1e-5f) << nc;
    }
  }
  const Result partial = run([&](ir::Graph& g) { spatial_mean(g, {2}, 1); });
  EXPECT_EQ(partial.global_pools, 0u) << partial.listing;
  EXPECT_EQ(partial.reduce_means, 1u) << partial.listing;
}

// TensorFlow-style same padding: Pad(0) then an unpadded strided Conv.
void pad_then_conv(ir::Graph& g, std::vector<std::int64_t> pads, float value, bool second_reader) {
  ir::Value* x = graph_input(g, "x", Shape{1, 4, 9, 8});
  Tensor pads_tensor(DType::kInt64, Shape{8});
  std::copy(pads.begin(), pads.end(), pads_tensor.data<std::int64_t>());
  ir::Value* padded =
      add(g, OpKind::kPad, "pad", {x, g.add_constant("pads", pads_tensor), scalar(g, "v", value)});
  ir::Value* y = add(g, OpKind::kConv, "conv",
                     {padded, g.add_constant("w", random_tensor(Shape{6, 4, 3, 3}, 3))},
                     {{"strides", std::vector<std::int64_t>{2, 2}},
                      {"pads", std::vector<std::int64_t>{1, 0, 0, 1}}});
  g.outputs().push_back(y);
  if (second_reader) g.outputs().push_back(padded);
}

TEST(FoldPadIntoConv, ZeroSpatialPadBecomesConvPadding) {
  const std::vector<std::int64_t> same = {0, 0, 0, 1, 0, 0, 1, 2};
  const Result folded = run([&](ir::Graph& g) { pad_then_conv(g, same, 0.f, false); });
  const Result kept = run([&](ir::Graph& g) { pad_then_conv(g, same, 0.f, true); });
  EXPECT_EQ(folded.pads, 0u) << folded.listing;
  EXPECT_NE(folded.listing.find("pads=[1,1,1,3]"), std::string::npos) << folded.listing;
  EXPECT_EQ(kept.pads, 1u) << kept.listing;
  kiln::testing::expect_tensor_near(folded.outputs[0], kept.outputs[0], 1e-5f, 1e-5f);
}

TEST(FoldPadIntoConv, LeavesANonzeroPadValue) {
  const Result nonzero = run([&](ir::Graph& g) {
    pad_then_conv(g, {0, 0, 1, 1, 0, 0, 1, 1}, 0.5f, false);
  });
  EXPECT_EQ(nonzero.pads, 1u) << nonzero.listing;
}

}  // namespace
}  // namespace kiln::compiler
