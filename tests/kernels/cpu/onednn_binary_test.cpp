// oneDNN binary (Add, Sub, Mul, Div) against the reference kernels.

#include <gtest/gtest.h>

#include "kernels/cpu/onednn_test_helpers.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

TEST(OnednnBinary, SameShapeAndSecondOperandBroadcasts) {
  const Shape x{2, 6, 9, 11};
  const std::vector<Shape> others = {x, Shape{6, 1, 1}, Shape{1}, Shape{}, Shape{11}};
  for (OpKind op : {OpKind::kAdd, OpKind::kSub, OpKind::kMul, OpKind::kDiv}) {
    for (const Shape& other : others) {
      SCOPED_TRACE(std::string(ir::op_name(op)) + " with " + other.to_string());
      expect_matches_reference(
          op,
          {runtime_input(random_tensor(x, 1)), constant_input(random_tensor(other, 2, 0.5f, 2.f))},
          {}, kernels::cpu::make_onednn_binary, 1e-6f);
    }
  }
}

TEST(OnednnBinary, BroadcastFirstOperandIsSwappedForCommutativeOps) {
  // bias + x, as exporters sometimes write it.
  for (OpKind op : {OpKind::kAdd, OpKind::kMul}) {
    SCOPED_TRACE(std::string(ir::op_name(op)));
    expect_matches_reference(
        op,
        {constant_input(random_tensor({384}, 3)), runtime_input(random_tensor({1, 197, 384}, 4))},
        {}, kernels::cpu::make_onednn_binary, 1e-6f);
  }
}

TEST(OnednnBinary, DeclinesWhatOneDnnCannotBroadcast) {
  expect_declined(
      OpKind::kSub,
      {constant_input(random_tensor({384}, 3)), runtime_input(random_tensor({1, 197, 384}, 4))}, {},
      kernels::cpu::make_onednn_binary, "second operand");
  expect_declined(
      OpKind::kAdd,
      {runtime_input(random_tensor({2, 1, 3}, 5)), runtime_input(random_tensor({1, 4, 1}, 6))}, {},
      kernels::cpu::make_onednn_binary, "both operands broadcast");
  // A broadcast over several scattered axes has only oneDNN's generic implementation.
  expect_declined(OpKind::kMul,
                  {runtime_input(random_tensor({2, 6, 9, 11}, 7)),
                   runtime_input(random_tensor({2, 1, 9, 1}, 8))},
                  {}, kernels::cpu::make_onednn_binary, "generic");
}

}  // namespace
}  // namespace kiln::testing
