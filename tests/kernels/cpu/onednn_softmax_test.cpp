// oneDNN Softmax and LogSoftmax against the reference kernels, on every axis of odd shapes.

#include <gtest/gtest.h>

#include "kernels/cpu/onednn_test_helpers.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

TEST(OnednnSoftmax, LastAxisMatchesTheReference) {
  for (OpKind op : {OpKind::kSoftmax, OpKind::kLogSoftmax}) {
    for (std::int64_t axis : {-1, 2}) {
      SCOPED_TRACE(std::string(ir::op_name(op)) + " axis " + std::to_string(axis));
      expect_matches_reference(op, {runtime_input(random_tensor({3, 7, 197}, 2, -8.f, 8.f))},
                               {{"axis", int_attr(axis)}}, kernels::cpu::make_onednn_softmax,
                               1e-5f);
    }
  }
}

TEST(OnednnSoftmax, OtherAxesFallBackToTheReference) {
  // oneDNN 2.6 has optimized softmax only over the innermost axis.
  for (std::int64_t axis : {0, 1, -3}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    expect_declined(OpKind::kSoftmax, {runtime_input(random_tensor({3, 7, 197}, 2))},
                    {{"axis", int_attr(axis)}}, kernels::cpu::make_onednn_softmax, "generic");
  }
}

TEST(OnednnSoftmax, AttentionShapeAndLargeLogits) {
  // [batch, heads, tokens, tokens] as in LV-ViT; logits far from 0 test the max subtraction.
  expect_matches_reference(OpKind::kSoftmax,
                           {runtime_input(random_tensor({2, 6, 197, 197}, 3, 50.f, 90.f))},
                           {{"axis", int_attr(-1)}}, kernels::cpu::make_onednn_softmax, 1e-5f);
}

}  // namespace
}  // namespace kiln::testing
