#include <gtest/gtest.h>

#include "kernels/cpu/onednn_test_helpers.h"

namespace kiln::kernels::cpu {
namespace {

using kiln::testing::constant_input;
using kiln::testing::expect_declined;
using kiln::testing::expect_matches_reference;
using kiln::testing::random_tensor;
using kiln::testing::runtime_input;

TEST(OnednnLayerNorm, MatchesTheReferenceOverTheLastAxis) {
  for (const Shape& shape : {Shape{1, 197, 384}, Shape{3, 7, 33}, Shape{5, 16}}) {
    SCOPED_TRACE(shape.to_string());
    const std::int64_t c = shape.dims().back();
    expect_matches_reference(
        ir::OpKind::kLayerNormalization,
        {runtime_input(random_tensor(shape, 1, -3.f, 5.f)),
         constant_input(random_tensor(Shape{c}, 2)), constant_input(random_tensor(Shape{c}, 3))},
        {{"axis", std::int64_t{-1}}, {"epsilon", 1e-6f}}, make_onednn_layer_norm, 1e-4f);
  }
}

TEST(OnednnLayerNorm, WithoutBias) {
  expect_matches_reference(ir::OpKind::kLayerNormalization,
                           {runtime_input(random_tensor(Shape{4, 10, 24}, 4)),
                            constant_input(random_tensor(Shape{24}, 5))},
                           {{"axis", std::int64_t{2}}}, make_onednn_layer_norm, 1e-4f);
}

TEST(OnednnLayerNorm, DeclinesOtherAxesAndStatisticOutputs) {
  expect_declined(ir::OpKind::kLayerNormalization,
                  {runtime_input(random_tensor(Shape{4, 10, 24}, 4)),
                   constant_input(random_tensor(Shape{10, 24}, 5))},
                  {{"axis", std::int64_t{1}}}, make_onednn_layer_norm, "last axis");
}

}  // namespace
}  // namespace kiln::kernels::cpu
