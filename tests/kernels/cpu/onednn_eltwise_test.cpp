// oneDNN eltwise activations against the reference kernels, on odd sizes and a wide input range.

#include <gtest/gtest.h>

#include <limits>

#include "kernels/cpu/onednn_test_helpers.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

TEST(OnednnEltwise, ActivationsMatchTheReference) {
  struct Case {
    OpKind op;
    ir::Attributes attributes;
    float lo, hi;
  };
  const Case cases[] = {
      {OpKind::kRelu, {}, -5, 5},
      {OpKind::kLeakyRelu, {{"alpha", float_attr(0.2f)}}, -5, 5},
      {OpKind::kSigmoid, {}, -30, 30},
      {OpKind::kSilu, {}, -30, 30},
      {OpKind::kTanh, {}, -12, 12},
      {OpKind::kElu, {{"alpha", float_attr(0.7f)}}, -10, 5},
      {OpKind::kExp, {}, -20, 20},
      {OpKind::kSqrt, {}, 0, 100},
      {OpKind::kAbs, {}, -5, 5},
      {OpKind::kHardSwish, {}, -6, 6},
      {OpKind::kGelu, {}, -8, 8},
      {OpKind::kGelu, {{"approximate", string_attr("tanh")}}, -8, 8},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(ir::op_name(c.op)));
    expect_matches_reference(c.op, {runtime_input(random_tensor({3, 7, 11, 13}, 1, c.lo, c.hi))},
                             c.attributes, kernels::cpu::make_onednn_eltwise, 1e-5f);
  }
}

TEST(OnednnEltwise, ExtremeInputsMatchTheReference) {
  // Where exp overflows or underflows, the approximations must saturate as the reference does.
  const Tensor x = make_tensor<float>(
      {13}, {-1000, -100, -88, -30, -1e-3f, -0.f, 0, 1e-3f, 30, 88, 89, 100, 1000});
  for (OpKind op : {OpKind::kRelu, OpKind::kSigmoid, OpKind::kSilu, OpKind::kTanh, OpKind::kElu,
                    OpKind::kHardSwish, OpKind::kGelu, OpKind::kExp}) {
    SCOPED_TRACE(std::string(ir::op_name(op)));
    SingleNodeGraph graph(op, {runtime_input(x)});
    const FactoryRun optimized =
        run_factory(graph, {runtime_input(x)}, kernels::cpu::make_onednn_eltwise);
    ASSERT_FALSE(optimized.outputs.empty()) << optimized.why_not;
    expect_tensor_near(optimized.outputs[0], graph.run()[0], 1e-5f, 1e-6f);
  }
}

TEST(OnednnEltwise, DomainEdgesMatchTheReference) {
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor x = make_tensor<float>({7}, {-1, -0.f, 0, 1e-38f, 1, 3e38f, inf});
  for (OpKind op : {OpKind::kSqrt, OpKind::kAbs, OpKind::kExp}) {
    SCOPED_TRACE(std::string(ir::op_name(op)));
    SingleNodeGraph graph(op, {runtime_input(x)});
    const FactoryRun optimized =
        run_factory(graph, {runtime_input(x)}, kernels::cpu::make_onednn_eltwise);
    ASSERT_FALSE(optimized.outputs.empty()) << optimized.why_not;
    expect_tensor_near(optimized.outputs[0], graph.run()[0], 1e-5f, 1e-6f);
  }
}

TEST(OnednnEltwise, OtherOpsAndDtypesDecline) {
  // HardSigmoid, Log and Softplus are not in the kernel list at all; the factory still says
  // why it cannot run them.
  for (OpKind op : {OpKind::kHardSigmoid, OpKind::kLog, OpKind::kSoftplus}) {
    SingleNodeGraph graph(op, {runtime_input(random_tensor({4, 5}, 1, 0.5f, 2.f))});
    std::string why_not;
    EXPECT_EQ(kernels::cpu::make_onednn_eltwise(graph.node(), {}, why_not), nullptr);
    EXPECT_EQ(why_not, fmt::format("no oneDNN eltwise algorithm for {}", ir::op_name(op)));
  }
  expect_declined(OpKind::kAbs, {runtime_input(make_tensor<std::int64_t>({3}, {-1, 2, -3}))}, {},
                  kernels::cpu::make_onednn_eltwise, "input is int64");
}

}  // namespace
}  // namespace kiln::testing
