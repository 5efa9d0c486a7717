// oneDNN BatchNormalization against the reference: it runs where oneDNN has a JIT kernel (no
// spatial extent), and declines to the reference where oneDNN has only a generic one.

#include <gtest/gtest.h>

#include "kernels/cpu/onednn_test_helpers.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

std::vector<NodeInput> bn_inputs(Shape x, bool constant_stats) {
  const std::int64_t c = x[1];
  auto stat = [&](std::uint32_t seed, float lo, float hi) {
    Tensor t = random_tensor({c}, seed, lo, hi);
    return constant_stats ? constant_input(t) : runtime_input(t);
  };
  return {runtime_input(random_tensor(x, 1)), stat(2, 0.5f, 2.f), stat(3, -1.f, 1.f),
          stat(4, -1.f, 1.f), stat(5, 0.1f, 3.f)};
}

TEST(OnednnBatchNorm, NoSpatialExtentRunsOnOnednn) {
  for (const Shape& x : {Shape{8, 64}, Shape{3, 100}, Shape{4, 48, 1, 1}}) {
    for (bool constant_stats : {true, false}) {
      SCOPED_TRACE(x.to_string() + (constant_stats ? " constant" : " runtime"));
      expect_matches_reference(OpKind::kBatchNormalization, bn_inputs(x, constant_stats),
                               {{"epsilon", float_attr(1e-3f)}},
                               kernels::cpu::make_onednn_batch_norm, 1e-5f);
    }
  }
}

TEST(OnednnBatchNorm, SpatialNchwDeclinesToTheReference) {
  expect_declined(OpKind::kBatchNormalization, bn_inputs({2, 16, 7, 9}, true), {},
                  kernels::cpu::make_onednn_batch_norm, "generic implementation");
}

}  // namespace
}  // namespace kiln::testing
