// Reference MatMul (numpy semantics: 1-D operands, batch broadcasting) and Gemm (alpha, beta,
// transposes, C broadcast): hand-computed values, a naive oracle, and shape errors.

#include <gtest/gtest.h>

#include "kernels/reference/heavy_test_helpers.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

// out[b][m][n] = sum_k a[b][m][k] * b[b][k][n] over explicit per-batch offsets.
Tensor naive_batched(const Tensor& a, std::int64_t a_batch_stride, const Tensor& b,
                     std::int64_t b_batch_stride, const std::vector<std::int64_t>& a_index,
                     const std::vector<std::int64_t>& b_index, Shape out_shape, std::int64_t m,
                     std::int64_t k, std::int64_t n) {
  Tensor out(DType::kFloat32, std::move(out_shape));
  for (std::size_t batch = 0; batch < a_index.size(); ++batch) {
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (std::int64_t kk = 0; kk < k; ++kk) {
          acc +=
              static_cast<double>(a.data<float>()[a_index[batch] * a_batch_stride + i * k + kk]) *
              b.data<float>()[b_index[batch] * b_batch_stride + kk * n + j];
        }
        out.data<float>()[(batch * m + i) * n + j] = static_cast<float>(acc);
      }
    }
  }
  return out;
}

TEST(MatMulReference, HandComputed2d) {
  auto y = run_reference(OpKind::kMatMul,
                         {runtime_input(make_tensor<float>({2, 3}, {1, 2, 3, 4, 5, 6})),
                          runtime_input(make_tensor<float>({3, 2}, {1, 0, 0, 1, 1, -1}))});
  expect_tensor_near(y[0], make_tensor<float>({2, 2}, {4, -1, 10, -1}));
}

TEST(MatMulReference, OneDimensionalOperandsDropTheirAxis) {
  const Tensor v = make_tensor<float>({3}, {1, 2, 3});
  const Tensor m = make_tensor<float>({3, 2}, {1, 0, 0, 1, 1, -1});
  auto vm = run_reference(OpKind::kMatMul, {runtime_input(v), runtime_input(m)});
  expect_tensor_near(vm[0], make_tensor<float>({2}, {4, -1}));
  auto mv = run_reference(
      OpKind::kMatMul,
      {runtime_input(make_tensor<float>({2, 3}, {1, 2, 3, 4, 5, 6})), runtime_input(v)});
  expect_tensor_near(mv[0], make_tensor<float>({2}, {14, 32}));
  auto dot = run_reference(OpKind::kMatMul, {runtime_input(v), runtime_input(v)});
  expect_tensor_near(dot[0], make_tensor<float>({}, {14}));
  // A batched matrix times a vector: [2, 2, 3] x [3] -> [2, 2].
  auto batched = run_reference(
      OpKind::kMatMul,
      {runtime_input(make_tensor<float>({2, 2, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1})),
       runtime_input(v)});
  expect_tensor_near(batched[0], make_tensor<float>({2, 2}, {1, 2, 3, 6}));
}

TEST(MatMulReference, BatchAxesBroadcast) {
  // A [2, 1, 3, 4] x B [5, 4, 2] -> [2, 5, 3, 2]: A's batch i pairs with every B batch j.
  const Tensor a = random_tensor({2, 1, 3, 4}, 90);
  const Tensor b = random_tensor({5, 4, 2}, 91);
  std::vector<std::int64_t> a_index, b_index;
  for (std::int64_t i = 0; i < 2; ++i) {
    for (std::int64_t j = 0; j < 5; ++j) {
      a_index.push_back(i);
      b_index.push_back(j);
    }
  }
  auto y = run_reference(OpKind::kMatMul, {runtime_input(a), constant_input(b)});
  expect_close(y[0], naive_batched(a, 12, b, 8, a_index, b_index, {2, 5, 3, 2}, 3, 4, 2));
  // An unbatched B shared by every batch of A, odd sizes.
  const Tensor a3 = random_tensor({3, 7, 13}, 92);
  const Tensor b2 = random_tensor({13, 9}, 93);
  auto shared = run_reference(OpKind::kMatMul, {runtime_input(a3), constant_input(b2)});
  expect_close(shared[0], naive_batched(a3, 91, b2, 0, {0, 1, 2}, {0, 0, 0}, {3, 7, 9}, 7, 13, 9));
}

TEST(MatMulReference, BadShapesNameTheNode) {
  expect_infer_error(
      OpKind::kMatMul,
      {runtime_input(random_tensor({2, 3}, 1)), runtime_input(random_tensor({4, 2}, 2))}, {},
      "A [2,3] has 3 columns but B [4,2] has 4 rows");
  expect_infer_error(
      OpKind::kMatMul,
      {runtime_input(random_tensor({2, 2, 3}, 1)), runtime_input(random_tensor({3, 3, 2}, 2))}, {},
      "batch axes of A [2,2,3] and B [3,3,2] do not broadcast");
  expect_infer_error(OpKind::kMatMul,
                     {runtime_input(random_tensor({}, 1)), runtime_input(random_tensor({3}, 2))},
                     {}, "must have rank 1 or more");
}

// Y = alpha * op(A) * op(B) + beta * C, computed element by element.
Tensor naive_gemm(const Tensor& a, const Tensor& b, const Tensor& c, bool trans_a, bool trans_b,
                  float alpha, float beta) {
  const std::int64_t m = trans_a ? a.shape()[1] : a.shape()[0];
  const std::int64_t k = trans_a ? a.shape()[0] : a.shape()[1];
  const std::int64_t n = trans_b ? b.shape()[0] : b.shape()[1];
  Tensor y(DType::kFloat32, {m, n});
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (std::int64_t kk = 0; kk < k; ++kk) {
        const float av = trans_a ? a.data<float>()[kk * m + i] : a.data<float>()[i * k + kk];
        const float bv = trans_b ? b.data<float>()[j * k + kk] : b.data<float>()[kk * n + j];
        acc += static_cast<double>(av) * bv;
      }
      double cv = 0;
      if (!c.empty()) {
        const Shape& s = c.shape();
        const std::int64_t rows = s.rank() == 2 ? s[0] : 1;
        const std::int64_t cols = s.rank() >= 1 ? s[s.rank() - 1] : 1;
        cv = c.data<float>()[(rows == 1 ? 0 : i) * cols + (cols == 1 ? 0 : j)];
      }
      y.data<float>()[i * n + j] = static_cast<float>(alpha * acc + beta * cv);
    }
  }
  return y;
}

TEST(GemmReference, HandComputed) {
  // [[1,2],[3,4]] x [[1,1],[0,1]] = [[1,3],[3,7]]; * 2 + 0.5 * [10, 20].
  auto y = run_reference(OpKind::kGemm,
                         {runtime_input(make_tensor<float>({2, 2}, {1, 2, 3, 4})),
                          constant_input(make_tensor<float>({2, 2}, {1, 1, 0, 1})),
                          constant_input(make_tensor<float>({2}, {10, 20}))},
                         {{"alpha", float_attr(2.f)}, {"beta", float_attr(0.5f)}});
  expect_tensor_near(y[0], make_tensor<float>({2, 2}, {7, 16, 11, 24}));
}

TEST(GemmReference, TransposesAndEveryCBroadcast) {
  const std::int64_t m = 5, k = 7, n = 6;
  const Shape c_shapes[] = {Shape{}, Shape{1}, Shape{n}, Shape{1, n}, Shape{m, 1}, Shape{m, n}};
  for (bool trans_a : {false, true}) {
    for (bool trans_b : {false, true}) {
      const Tensor a = random_tensor(trans_a ? Shape{k, m} : Shape{m, k}, 100);
      const Tensor b = random_tensor(trans_b ? Shape{n, k} : Shape{k, n}, 101);
      for (const Shape& c_shape : c_shapes) {
        SCOPED_TRACE(::testing::Message() << "transA " << trans_a << " transB " << trans_b << " C "
                                          << c_shape.to_string());
        const Tensor c = random_tensor(c_shape, 102);
        auto y =
            run_reference(OpKind::kGemm, {runtime_input(a), constant_input(b), constant_input(c)},
                          {{"transA", int_attr(trans_a)},
                           {"transB", int_attr(trans_b)},
                           {"alpha", float_attr(0.75f)},
                           {"beta", float_attr(-1.5f)}});
        expect_close(y[0], naive_gemm(a, b, c, trans_a, trans_b, 0.75f, -1.5f));
      }
      auto no_c = run_reference(OpKind::kGemm, {runtime_input(a), constant_input(b)},
                                {{"transA", int_attr(trans_a)}, {"transB", int_attr(trans_b)}});
      expect_close(no_c[0], naive_gemm(a, b, Tensor(), trans_a, trans_b, 1.f, 1.f));
    }
  }
}

TEST(GemmReference, BadShapesNameTheNode) {
  const Tensor a = random_tensor({3, 4}, 1);
  expect_infer_error(OpKind::kGemm, {runtime_input(a), constant_input(random_tensor({3, 5}, 2))},
                     {}, "A [3,4] (transA=0) gives K = 4 but B [3,5] (transB=0) gives K = 3");
  expect_infer_error(OpKind::kGemm,
                     {runtime_input(a), constant_input(random_tensor({4, 5}, 2)),
                      constant_input(random_tensor({3, 4}, 3))},
                     {}, "C [3,4] does not broadcast to the output [3,5]");
  expect_infer_error(
      OpKind::kGemm,
      {runtime_input(random_tensor({1, 3, 4}, 1)), constant_input(random_tensor({4, 5}, 2))}, {},
      "must both be matrices");
}

}  // namespace
}  // namespace kiln::testing
