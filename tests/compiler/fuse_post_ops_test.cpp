// fuse_post_ops: which elementwise ops fuse into Conv / ConvTranspose / MatMul / Gemm (structure),
// and that the fused graph computes what the unfused one does (numbers), on oneDNN's fused
// kernels, on the reference chain, in plain and blocked convolution layouts.

#include <gtest/gtest.h>

#include <functional>

#include "kiln/compiler/pipeline.h"
#include "kiln/ir/post_ops.h"
#include "kiln/kernels/op_definitions.h"
#include "kiln/kernels/registry.h"
#include "kiln/runtime/session.h"
#include "testing/single_node.h"

namespace kiln::compiler {
namespace {

using ir::OpKind;
using kiln::testing::graph_input;
using kiln::testing::random_tensor;

using GraphBuilder = std::function<void(ir::Graph&)>;

// A small builder: values by name, nodes by op.
struct Builder {
  ir::Graph& g;
  ir::Value* input(const std::string& name, Shape shape) { return graph_input(g, name, shape); }
  ir::Value* constant(const std::string& name, Shape shape, std::uint32_t seed, float lo = -1.f,
                      float hi = 1.f) {
    return g.add_constant(name, random_tensor(std::move(shape), seed, lo, hi));
  }
  ir::Value* node(OpKind op, const std::string& name, std::vector<ir::Value*> inputs,
                  ir::Attributes attributes = {}) {
    ir::Value* out = g.add_value(name + "_out");
    g.add_node(op, name, std::move(inputs), {out}, std::move(attributes));
    return out;
  }
  ir::Value* conv(const std::string& name, ir::Value* x, std::int64_t in, std::int64_t out,
                  std::int64_t k, std::int64_t group = 1) {
    ir::Value* w = constant(name + "_w", Shape{out, in / group, k, k}, 11);
    ir::Value* b = constant(name + "_b", Shape{out}, 12);
    return node(OpKind::kConv, name, {x, w, b},
                {{"pads", std::vector<std::int64_t>(4, k / 2)}, {"group", group}});
  }
  void output(ir::Value* v) { g.outputs().push_back(v); }
};

struct Compiled {
  std::vector<Tensor> outputs;
  std::vector<StepInfo> steps;
  std::string listing;
  std::size_t post_op_nodes = 0;
  std::size_t nodes = 0;
};

Compiled compile_and_run(const GraphBuilder& build, bool fuse) {
  ir::Graph g;
  build(g);
  SessionOptions options;
  options.compile.fuse_post_ops = fuse;
  options.threads = 2;
  Session session(std::move(g), options);
  std::vector<Tensor> inputs;
  std::uint32_t seed = 100;
  for (const TensorSignature& in : session.inputs())
    inputs.push_back(random_tensor(in.shape, seed++));
  Compiled result;
  result.outputs = session.run(inputs);
  result.steps = session.steps();
  result.listing = session.graph().to_string();
  for (const ir::Node* node : session.graph().nodes()) {
    result.post_op_nodes += ir::has_post_ops(*node);
  }
  result.nodes = session.graph().node_count();
  return result;
}

// Builds the graph twice, compiles it with and without fusion and compares every output.
Compiled expect_same_numbers(const GraphBuilder& build) {
  const Compiled unfused = compile_and_run(build, false);
  Compiled fused = compile_and_run(build, true);
  EXPECT_EQ(unfused.post_op_nodes, 0u);
  EXPECT_EQ(fused.outputs.size(), unfused.outputs.size());
  for (std::size_t i = 0; i < fused.outputs.size() && i < unfused.outputs.size(); ++i) {
    kiln::testing::expect_tensor_near(fused.outputs[i], unfused.outputs[i], 2e-5f, 2e-5f);
  }
  return fused;
}

bool every_step_is_onednn(const Compiled& c) {
  for (const StepInfo& step : c.steps) {
    if (step.implementation.rfind("onednn:", 0) != 0 && step.implementation != "alias") {
      ADD_FAILURE() << step.node_name << " runs on " << step.implementation;
      return false;
    }
  }
  return true;
}

TEST(FusePostOps, BlockedConvWithReluBecomesOneOnednnKernel) {
  const Compiled c = expect_same_numbers([](ir::Graph& g) {
    Builder b{g};
    b.output(
        b.node(OpKind::kRelu, "relu", {b.conv("conv", b.input("x", Shape{1, 8, 9, 9}), 8, 16, 3)}));
  });
  EXPECT_EQ(c.nodes, 1u) << c.listing;
  EXPECT_EQ(c.post_op_nodes, 1u);
  EXPECT_TRUE(every_step_is_onednn(c));
  EXPECT_NE(c.listing.find("kiln.post_ops=[\"Relu\"]"), std::string::npos) << c.listing;
}

TEST(FusePostOps, PointwiseConvWithSiluFromSigmoidTimesX) {
  const Compiled c = expect_same_numbers([](ir::Graph& g) {
    Builder b{g};
    ir::Value* y = b.conv("conv", b.input("x", Shape{2, 16, 7, 5}), 16, 24, 1);
    b.output(b.node(OpKind::kMul, "mul", {y, b.node(OpKind::kSigmoid, "sigmoid", {y})}));
  });
  EXPECT_EQ(c.nodes, 1u) << c.listing;
  EXPECT_TRUE(every_step_is_onednn(c));
}

TEST(FusePostOps, ResidualAddThenReluInBothConvLayouts) {
  for (std::int64_t k : {1, 3}) {
    SCOPED_TRACE(k);
    const Compiled c = expect_same_numbers([k](ir::Graph& g) {
      Builder b{g};
      ir::Value* x = b.input("x", Shape{2, 16, 10, 6});
      ir::Value* y = b.conv("conv", x, 16, 16, k);
      b.output(b.node(OpKind::kRelu, "relu", {b.node(OpKind::kAdd, "add", {x, y})}));
    });
    EXPECT_EQ(c.nodes, 1u) << c.listing;
    EXPECT_TRUE(every_step_is_onednn(c));
  }
}

TEST(FusePostOps, PerChannelScaleShiftAndClip) {
  const Compiled c = expect_same_numbers([](ir::Graph& g) {
    Builder b{g};
    ir::Value* y = b.conv("conv", b.input("x", Shape{1, 8, 6, 6}), 8, 8, 3);
    y = b.node(OpKind::kMul, "scale", {b.constant("s", Shape{8, 1, 1}, 3), y});
    y = b.node(OpKind::kAdd, "shift", {y, b.constant("t", Shape{1, 8, 1, 1}, 4)});
    Tensor lo(DType::kFloat32, Shape{}), hi(DType::kFloat32, Shape{});
    lo.data<float>()[0] = 0.f;
    hi.data<float>()[0] = 0.5f;
    b.output(
        b.node(OpKind::kClip, "clip", {y, g.add_constant("lo", lo), g.add_constant("hi", hi)}));
  });
  EXPECT_EQ(c.nodes, 1u) << c.listing;
  EXPECT_TRUE(every_step_is_onednn(c));
}

TEST(FusePostOps, DepthwiseConvWithHardSwishAndHardSigmoid) {
  const Compiled c = expect_same_numbers([](ir::Graph& g) {
    Builder b{g};
    ir::Value* x = b.input("x", Shape{1, 16, 12, 12});
    ir::Value* y = b.node(OpKind::kHardSwish, "hswish", {b.conv("dw", x, 16, 16, 3, 16)});
    b.output(b.node(OpKind::kHardSigmoid, "hsig", {b.conv("dw2", y, 16, 16, 5, 16)},
                    {{"alpha", 0.25f}, {"beta", 0.4f}}));
  });
  EXPECT_EQ(c.post_op_nodes, 2u) << c.listing;
  EXPECT_TRUE(every_step_is_onednn(c));
}

TEST(FusePostOps, ConvTransposeWithLeakyRelu) {
  const Compiled c = expect_same_numbers([](ir::Graph& g) {
    Builder b{g};
    ir::Value* x = b.input("x", Shape{1, 4, 5, 5});
    ir::Value* y =
        b.node(OpKind::kConvTranspose, "deconv",
               {x, b.constant("w", Shape{4, 6, 4, 4}, 5), b.constant("bias", Shape{6}, 6)},
               {{"strides", std::vector<std::int64_t>{2, 2}},
                {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
    b.output(b.node(OpKind::kLeakyRelu, "lrelu", {y}, {{"alpha", 0.1f}}));
  });
  EXPECT_EQ(c.nodes, 1u) << c.listing;
  EXPECT_TRUE(every_step_is_onednn(c));
}

// A transformer MLP: MatMul + bias + GELU, MatMul + bias + residual.
TEST(FusePostOps, MatMulBiasGeluAndResidual) {
  const Compiled c = expect_same_numbers([](ir::Graph& g) {
    Builder b{g};
    ir::Value* x = b.input("x", Shape{2, 7, 16});
    ir::Value* h = b.node(OpKind::kMatMul, "fc1", {x, b.constant("w1", Shape{16, 32}, 7)});
    h = b.node(OpKind::kAdd, "b1", {h, b.constant("bias1", Shape{32}, 8)});
    h = b.node(OpKind::kGelu, "gelu", {h});
    ir::Value* y = b.node(OpKind::kMatMul, "fc2", {h, b.constant("w2", Shape{32, 16}, 9)});
    y = b.node(OpKind::kAdd, "b2", {b.constant("bias2", Shape{16}, 10), y});
    b.output(b.node(OpKind::kAdd, "residual", {x, y}));
  });
  EXPECT_EQ(c.nodes, 2u) << c.listing;
  EXPECT_EQ(c.post_op_nodes, 2u);
  EXPECT_TRUE(every_step_is_onednn(c));
}

// Attention scores: a MatMul of two activations scaled by a constant.
TEST(FusePostOps, RuntimeMatMulWithScalarScale) {
  const Compiled c = expect_same_numbers([](ir::Graph& g) {
    Builder b{g};
    ir::Value* q = b.input("q", Shape{2, 3, 5, 8});
    ir::Value* k = b.input("k", Shape{2, 3, 8, 5});
    ir::Value* s = b.node(OpKind::kMatMul, "qk", {q, k});
    b.output(b.node(OpKind::kMul, "scale", {s, b.constant("c", Shape{}, 1)}));
  });
  EXPECT_EQ(c.nodes, 1u) << c.listing;
  EXPECT_TRUE(every_step_is_onednn(c));
}

TEST(FusePostOps, GemmWithRelu) {
  const Compiled c = expect_same_numbers([](ir::Graph& g) {
    Builder b{g};
    ir::Value* x = b.input("x", Shape{3, 12});
    ir::Value* y = b.node(OpKind::kGemm, "fc",
                          {x, b.constant("w", Shape{10, 12}, 2), b.constant("c", Shape{10}, 3)},
                          {{"transB", std::int64_t{1}}});
    b.output(b.node(OpKind::kRelu, "relu", {y}));
  });
  EXPECT_EQ(c.nodes, 1u) << c.listing;
  EXPECT_TRUE(every_step_is_onednn(c));
}

// A residual Add on Gemm: as oneDNN's sum when C is a bias, as a binary post-op when C itself
// takes the sum.
TEST(FusePostOps, GemmWithResidualAddWhetherOrNotCIsABias) {
  for (const Shape c_shape : {Shape{10}, Shape{3, 10}}) {
    SCOPED_TRACE(c_shape.to_string());
    const Compiled c = expect_same_numbers([c_shape](ir::Graph& g) {
      Builder b{g};
      ir::Value* x = b.input("x", Shape{3, 12});
      ir::Value* r = b.input("r", Shape{3, 10});
      ir::Value* y = b.node(OpKind::kGemm, "fc",
                            {x, b.constant("w", Shape{10, 12}, 2), b.constant("c", c_shape, 3)},
                            {{"transB", std::int64_t{1}}, {"beta", 0.5f}});
      b.output(b.node(OpKind::kAdd, "residual", {r, y}));
    });
    EXPECT_EQ(c.nodes, 1u) << c.listing;
    EXPECT_TRUE(every_step_is_onednn(c));
  }
}

TEST(FusePostOps, SubAndDivFuseOnlyWithTheResultFirst) {
  const Compiled c = expect_same_numbers([](ir::Graph& g) {
    Builder b{g};
    ir::Value* x = b.input("x", Shape{1, 4, 5, 5});
    ir::Value* y1 = b.conv("conv1", x, 4, 4, 3);
    b.output(b.node(OpKind::kSub, "sub", {y1, b.constant("m", Shape{4, 1, 1}, 3)}));
    ir::Value* y2 = b.conv("conv2", x, 4, 4, 3);
    b.output(b.node(OpKind::kDiv, "div", {b.constant("n", Shape{4, 1, 1}, 4, 1.f, 2.f), y2}));
  });
  EXPECT_EQ(c.post_op_nodes, 1u) << c.listing;
  EXPECT_NE(c.listing.find("Div("), std::string::npos) << c.listing;
}

// Squeeze-excitation: the gate is computed from the conv's own result, so the Mul cannot fuse.
TEST(FusePostOps, LeavesAnOperandThatDependsOnTheResult) {
  const Compiled c = expect_same_numbers([](ir::Graph& g) {
    Builder b{g};
    ir::Value* y = b.conv("conv", b.input("x", Shape{1, 8, 6, 6}), 8, 8, 3);
    ir::Value* pooled = b.node(OpKind::kGlobalAveragePool, "pool", {y});
    ir::Value* gate = b.node(OpKind::kSigmoid, "gate", {pooled});
    b.output(b.node(OpKind::kMul, "excite", {y, gate}));
  });
  EXPECT_EQ(c.post_op_nodes, 0u) << c.listing;
}

TEST(FusePostOps, LeavesAResultWithTwoReadersOrThatIsAGraphOutput) {
  const Compiled c = expect_same_numbers([](ir::Graph& g) {
    Builder b{g};
    ir::Value* x = b.input("x", Shape{1, 4, 5, 5});
    ir::Value* y = b.conv("conv", x, 4, 4, 3);
    b.output(b.node(OpKind::kRelu, "relu", {y}));
    b.output(b.node(OpKind::kTanh, "tanh", {y}));
    ir::Value* z = b.conv("conv2", x, 4, 4, 1);
    b.output(z);
    b.output(b.node(OpKind::kSigmoid, "sigmoid", {z}));
  });
  EXPECT_EQ(c.post_op_nodes, 0u) << c.listing;
}

// DPN's pre-activation: Concat -> BatchNormalization -> Relu -> Conv. The BN cannot fold into
// a Conv; it becomes a per-channel Mul with the shift and the ReLU as its post-ops.
TEST(FusePostOps, PreActivationBatchNormAndReluBecomeOneBinaryKernel) {
  const Compiled c = expect_same_numbers([](ir::Graph& g) {
    Builder b{g};
    ir::Value* a = b.input("a", Shape{1, 8, 6, 6});
    ir::Value* x = b.node(OpKind::kConcat, "concat", {a, b.input("c", Shape{1, 8, 6, 6})},
                          {{"axis", std::int64_t{1}}});
    ir::Value* bn =
        b.node(OpKind::kBatchNormalization, "bn",
               {x, b.constant("gamma", Shape{16}, 1), b.constant("beta", Shape{16}, 2),
                b.constant("mean", Shape{16}, 3), b.constant("var", Shape{16}, 4, 0.5f, 2.f)},
               {{"epsilon", 1e-3f}});
    b.output(b.conv("conv", b.node(OpKind::kRelu, "relu", {bn}), 16, 8, 1));
  });
  EXPECT_EQ(c.nodes, 3u) << c.listing;  // Concat, Mul+Add+Relu, Conv
  EXPECT_NE(c.listing.find("kiln.post_ops=[\"Add\",\"Relu\"]"), std::string::npos) << c.listing;
  EXPECT_EQ(c.listing.find("BatchNormalization"), std::string::npos) << c.listing;
  for (const StepInfo& step : c.steps) {
    if (step.op != "Concat") {
      EXPECT_EQ(step.implementation.rfind("onednn:", 0), 0u) << step.node_name;
    }
  }
}

// After a binary op: an activation and constant operands fuse; a second activation tensor does
// not (oneDNN 2.6's jit binary computes a full-size binary post-op wrongly: this test saw it).
TEST(FusePostOps, BinaryOpsTakeActivationsAndConstantsAsPostOps) {
  const Compiled c = expect_same_numbers([](ir::Graph& g) {
    Builder b{g};
    ir::Value* x = b.input("x", Shape{2, 4, 5, 3});
    ir::Value* y = b.input("y", Shape{2, 4, 5, 3});
    ir::Value* z = b.input("z", Shape{2, 4, 5, 3});
    ir::Value* s = b.node(OpKind::kAdd, "xy", {x, y});
    s = b.node(OpKind::kAdd, "xyz", {z, s});
    s = b.node(OpKind::kMul, "scale", {s, b.constant("c", Shape{4, 1, 1}, 5)});
    b.output(b.node(OpKind::kSigmoid, "sigmoid", {s}));
  });
  EXPECT_EQ(c.nodes, 2u) << c.listing;  // xy, then xyz with the scale and the sigmoid
  EXPECT_NE(c.listing.find("kiln.post_ops=[\"Mul\",\"Sigmoid\"]"), std::string::npos) << c.listing;
  EXPECT_TRUE(every_step_is_onednn(c));
}

// The reference chain (what constant folding and a declined fusion run) against oneDNN's fused
// kernel, on one fused node built by hand.
TEST(FusePostOps, ReferenceChainMatchesTheFusedOnednnKernel) {
  ir::Graph g;
  ir::Value* x = graph_input(g, "x", Shape{1, 6, 7, 7});
  ir::Value* residual = graph_input(g, "r", Shape{1, 6, 7, 7});
  ir::Value* w = g.add_constant("w", random_tensor(Shape{6, 6, 3, 3}, 1));
  ir::Value* y = g.add_value("y");
  ir::Node* conv = g.add_node(OpKind::kConv, "conv", {x, w, nullptr, residual}, {y},
                              {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
  ir::PostOp add{OpKind::kAdd, {}, 3, "add"};
  conv->attributes() = ir::attributes_with_post_op(*conv, add);
  ir::PostOp silu{OpKind::kSilu, {}, -1, "silu"};
  conv->attributes() = ir::attributes_with_post_op(*conv, silu);
  kernels::infer_node_types(*conv);
  EXPECT_EQ(ir::own_input_count(*conv), 3u);
  EXPECT_EQ(ir::fused_op_name(*conv), "Conv+Add+Silu");

  std::string why_not;
  auto reference = kernels::create_reference_kernel(*conv, {}, why_not);
  ASSERT_NE(reference, nullptr) << why_not;
  EXPECT_EQ(reference->implementation(), "reference+reference");
  kernels::KernelChoice optimized = kernels::create_kernel(*conv, {});
  EXPECT_EQ(optimized.kernel->implementation().rfind("onednn:", 0), 0u)
      << optimized.kernel->implementation();

  const std::vector<Tensor> inputs = {random_tensor(Shape{1, 6, 7, 7}, 2), w->constant(), Tensor(),
                                      random_tensor(Shape{1, 6, 7, 7}, 3)};
  std::vector<Tensor> expected = {Tensor(DType::kFloat32, Shape{1, 6, 7, 7})};
  std::vector<Tensor> actual = {Tensor(DType::kFloat32, Shape{1, 6, 7, 7})};
  reference->run(inputs, expected);
  optimized.kernel->run(inputs, actual);
  kiln::testing::expect_tensor_near(actual[0], expected[0], 2e-5f, 2e-5f);
  // And the reference chain is the composition of the plain ops.
  const float* e = expected[0].data<float>();
  EXPECT_TRUE(std::isfinite(e[0]));
}

}  // namespace
}  // namespace kiln::compiler
