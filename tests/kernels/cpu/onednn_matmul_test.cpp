// oneDNN MatMul and Gemm against the reference kernels: odd sizes, 1-D operands, batch
// broadcasting, every Gemm form (transposes, alpha, beta, each C broadcast, constant or run-time
// B and C), and transformer / classifier shapes.

#include <gtest/gtest.h>

#include "kernels/cpu/onednn_test_helpers.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

NodeInput operand(Shape shape, std::uint32_t seed, bool constant) {
  Tensor t = random_tensor(std::move(shape), seed);
  return constant ? constant_input(std::move(t)) : runtime_input(std::move(t));
}

TEST(OnednnMatMul, OddSizesOneDimensionalOperandsAndBroadcasting) {
  struct Case {
    Shape a, b;
  };
  const Case cases[] = {
      {{7, 13}, {13, 9}},        {{13}, {13, 9}},
      {{2, 7, 13}, {13}},        {{5}, {5}},
      {{2, 1, 3, 4}, {5, 4, 2}}, {{3, 7, 13}, {13, 9}},
      {{1, 5, 6}, {4, 6, 3}},    {{2, 3, 1, 6}, {3, 6, 1}},
  };
  for (const Case& c : cases) {
    for (bool constant_b : {false, true}) {
      SCOPED_TRACE(c.a.to_string() + " x " + c.b.to_string() + (constant_b ? " const" : ""));
      expect_matches_reference(OpKind::kMatMul,
                               {operand(c.a, 1, false), operand(c.b, 2, constant_b)}, {},
                               kernels::cpu::make_onednn_matmul);
    }
  }
}

TEST(OnednnMatMul, TransformerShapes) {
  // LV-ViT-S: attention scores and context (both operands computed), qkv and MLP projections.
  expect_matches_reference(OpKind::kMatMul,
                           {operand({1, 6, 197, 64}, 3, false), operand({1, 6, 64, 197}, 4, false)},
                           {}, kernels::cpu::make_onednn_matmul);
  expect_matches_reference(
      OpKind::kMatMul, {operand({1, 6, 197, 197}, 5, false), operand({1, 6, 197, 64}, 6, false)},
      {}, kernels::cpu::make_onednn_matmul);
  expect_matches_reference(OpKind::kMatMul,
                           {operand({2, 197, 384}, 7, false), operand({384, 1152}, 8, true)}, {},
                           kernels::cpu::make_onednn_matmul);
  expect_matches_reference(OpKind::kMatMul,
                           {operand({1, 197, 1152}, 9, false), operand({1152, 384}, 10, true)}, {},
                           kernels::cpu::make_onednn_matmul);
}

TEST(OnednnGemm, EveryFormMatchesTheReference) {
  const std::int64_t m = 5, k = 7, n = 6;
  const Shape c_shapes[] = {Shape{}, Shape{1}, Shape{n}, Shape{1, n}, Shape{m, 1}, Shape{m, n}};
  for (bool trans_a : {false, true}) {
    for (bool trans_b : {false, true}) {
      for (bool constant_b : {false, true}) {
        const NodeInput a = operand(trans_a ? Shape{k, m} : Shape{m, k}, 11, false);
        const NodeInput b = operand(trans_b ? Shape{n, k} : Shape{k, n}, 12, constant_b);
        for (const Shape& c_shape : c_shapes) {
          for (bool constant_c : {false, true}) {
            for (float alpha : {1.f, 0.75f}) {
              SCOPED_TRACE(::testing::Message()
                           << "transA " << trans_a << " transB " << trans_b << " constB "
                           << constant_b << " C " << c_shape.to_string() << " constC " << constant_c
                           << " alpha " << alpha);
              expect_matches_reference(OpKind::kGemm, {a, b, operand(c_shape, 13, constant_c)},
                                       {{"transA", int_attr(trans_a)},
                                        {"transB", int_attr(trans_b)},
                                        {"alpha", float_attr(alpha)},
                                        {"beta", float_attr(-1.5f)}},
                                       kernels::cpu::make_onednn_gemm);
            }
          }
        }
        SCOPED_TRACE("no C");
        expect_matches_reference(OpKind::kGemm, {a, b},
                                 {{"transA", int_attr(trans_a)},
                                  {"transB", int_attr(trans_b)},
                                  {"alpha", float_attr(2.f)}},
                                 kernels::cpu::make_onednn_gemm);
      }
    }
  }
}

TEST(OnednnGemm, ClassifierShapes) {
  // ResNet-101 fc at batch 4 and the LV-ViT head: Linear = Gemm(transB=1) + bias.
  expect_matches_reference(
      OpKind::kGemm,
      {operand({4, 2048}, 14, false), operand({1000, 2048}, 15, true), operand({1000}, 16, true)},
      {{"transB", int_attr(1)}}, kernels::cpu::make_onednn_gemm);
  expect_matches_reference(
      OpKind::kGemm,
      {operand({1, 384}, 17, false), operand({1000, 384}, 18, true), operand({1000}, 19, true)},
      {{"transB", int_attr(1)}, {"alpha", float_attr(1.f)}, {"beta", float_attr(1.f)}},
      kernels::cpu::make_onednn_gemm);
}

TEST(OnednnMatMul, RegistryPicksOnednn) {
  SingleNodeGraph graph(OpKind::kMatMul, {operand({4, 8}, 1, false), operand({8, 16}, 2, true)});
  kernels::KernelChoice choice = kernels::create_kernel(graph.node(), {});
  EXPECT_EQ(choice.kernel->implementation().rfind("onednn:", 0), 0u);
  SingleNodeGraph gemm(OpKind::kGemm, {operand({4, 8}, 1, false), operand({8, 16}, 2, true)});
  EXPECT_EQ(kernels::create_kernel(gemm.node(), {}).kernel->implementation().rfind("onednn:", 0),
            0u);
}

}  // namespace
}  // namespace kiln::testing
