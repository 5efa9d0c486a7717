// Reference kernels of Softmax, LogSoftmax and LayerNormalization.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "kiln/core/error.h"
#include "testing/single_node.h"

namespace kiln {
namespace {

using ir::OpKind;
using kiln::testing::absent_input;
using kiln::testing::constant_input;
using kiln::testing::expect_node_error;
using kiln::testing::expect_tensor_near;
using kiln::testing::f32;
using kiln::testing::make_tensor;
using kiln::testing::NodeInput;
using kiln::testing::random_tensor;
using kiln::testing::run1;
using kiln::testing::run_reference;
using kiln::testing::runtime_input;
using ::testing::HasSubstr;

// Softmax (or its log) along `axis` in double, the textbook way.
Tensor naive_softmax(const Tensor& x, std::int64_t axis, bool log) {
  const Shape& shape = x.shape();
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t d = 0; d < axis; ++d) outer *= shape[d];
  for (std::size_t d = axis + 1; d < shape.rank(); ++d) inner *= shape[d];
  const std::int64_t length = shape[axis];
  Tensor out(DType::kFloat32, shape);
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t j = 0; j < inner; ++j) {
      auto at = [&](std::int64_t i) { return (o * length + i) * inner + j; };
      double sum = 0;
      for (std::int64_t i = 0; i < length; ++i) sum += std::exp(double{x.data<float>()[at(i)]});
      for (std::int64_t i = 0; i < length; ++i) {
        const double e = std::exp(double{x.data<float>()[at(i)]});
        out.data<float>()[at(i)] = static_cast<float>(log ? std::log(e / sum) : e / sum);
      }
    }
  }
  return out;
}

TEST(SoftmaxTest, HandComputed) {
  const Tensor x = f32({2, 3}, {1, 2, 3, 0, 0, 0});
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  const Tensor expected =
      f32({2, 3}, {static_cast<float>(std::exp(1.0) / z), static_cast<float>(std::exp(2.0) / z),
                   static_cast<float>(std::exp(3.0) / z), 1.f / 3, 1.f / 3, 1.f / 3});
  expect_tensor_near(run1(OpKind::kSoftmax, {runtime_input(x)}), expected);
  expect_tensor_near(
      run1(OpKind::kLogSoftmax, {runtime_input(x)}),
      f32({2, 3},
          {static_cast<float>(1 - std::log(z)), static_cast<float>(2 - std::log(z)),
           static_cast<float>(3 - std::log(z)), -std::log(3.f), -std::log(3.f), -std::log(3.f)}));
}

TEST(SoftmaxTest, RowsSumToOneOnEveryAxis) {
  const Tensor x = random_tensor({3, 5, 7, 4}, 41, -5.f, 5.f);
  for (std::int64_t axis : {0, 1, 2, 3, -1, -3}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    const std::int64_t normalized = axis < 0 ? axis + 4 : axis;
    const Tensor y = run1(OpKind::kSoftmax, {runtime_input(x)}, {{"axis", axis}});
    expect_tensor_near(y, naive_softmax(x, normalized, false), 1e-5f, 1e-7f);
    expect_tensor_near(run1(OpKind::kLogSoftmax, {runtime_input(x)}, {{"axis", axis}}),
                       naive_softmax(x, normalized, true), 1e-5f, 1e-6f);
    // Sum along the axis with a ReduceSum of kiln's own: every entry 1.
    const Tensor sums =
        run1(OpKind::kReduceSum, {runtime_input(y)},
             {{"axes", std::vector<std::int64_t>{axis}}, {"keepdims", std::int64_t{0}}});
    for (float s : sums.span<float>()) EXPECT_NEAR(s, 1.f, 1e-5f);
  }
}

TEST(SoftmaxTest, StableForLargeInputs) {
  const Tensor x = f32({1, 3}, {1000.f, 1001.f, 1002.f});
  const Tensor shifted = f32({1, 3}, {0.f, 1.f, 2.f});
  expect_tensor_near(run1(OpKind::kSoftmax, {runtime_input(x)}), naive_softmax(shifted, 1, false));
  expect_tensor_near(run1(OpKind::kLogSoftmax, {runtime_input(f32({2}, {-1000.f, 0.f}))}),
                     f32({2}, {-1000.f, 0.f}));
}

TEST(SoftmaxTest, LargeInputsRunInParallel) {
  const Tensor rows = random_tensor({2, 12, 197, 197}, 43, -3.f, 3.f);  // attention scores
  expect_tensor_near(run1(OpKind::kSoftmax, {runtime_input(rows)}), naive_softmax(rows, 3, false),
                     1e-5f, 1e-7f);
  const Tensor columns = random_tensor({4, 300, 70}, 47, -3.f, 3.f);
  expect_tensor_near(run1(OpKind::kSoftmax, {runtime_input(columns)}, {{"axis", std::int64_t{1}}}),
                     naive_softmax(columns, 1, false), 1e-5f, 1e-7f);
}

TEST(SoftmaxTest, Errors) {
  expect_node_error(
      [] {
        run1(OpKind::kSoftmax, {runtime_input(f32({2, 2}, {1, 2, 3, 4}))},
             {{"axis", std::int64_t{2}}});
      },
      "attribute axis = 2 is out of range for rank 2");
  expect_node_error(
      [] {
        run1(OpKind::kLogSoftmax, {runtime_input(f32({2}, {1, 2}))}, {{"axis", std::int64_t{-2}}});
      },
      "attribute axis = -2 is out of range for rank 1");
  expect_node_error(
      [] {
        run1(OpKind::kSoftmax, {runtime_input(make_tensor<std::int64_t>({2}, {1, 2}))});
      },
      "is int64; Softmax supports float32");
}

// ---- LayerNormalization ----

// Normalises each row of `rows` x `size` in double, then applies scale and bias (per element of
// the row, already expanded).
Tensor naive_layer_norm(const Tensor& x, std::int64_t size, const std::vector<double>& scale,
                        const std::vector<double>& bias, double epsilon) {
  Tensor out(DType::kFloat32, x.shape());
  const std::int64_t rows = x.numel() / size;
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* row = x.data<float>() + r * size;
    double mean = 0;
    for (std::int64_t j = 0; j < size; ++j) mean += row[j];
    mean /= size;
    double variance = 0;
    for (std::int64_t j = 0; j < size; ++j) variance += (row[j] - mean) * (row[j] - mean);
    variance /= size;
    for (std::int64_t j = 0; j < size; ++j) {
      out.data<float>()[r * size + j] =
          static_cast<float>((row[j] - mean) / std::sqrt(variance + epsilon) * scale[j] + bias[j]);
    }
  }
  return out;
}

std::vector<double> as_doubles(const Tensor& t) {
  return {t.data<float>(), t.data<float>() + t.numel()};
}

TEST(LayerNormTest, LastAxisWithScaleAndBias) {
  const Tensor x = random_tensor({2, 7, 24}, 51, -2.f, 3.f);
  const Tensor scale = random_tensor({24}, 52, 0.5f, 1.5f);
  const Tensor bias = random_tensor({24}, 53);
  expect_tensor_near(run1(OpKind::kLayerNormalization,
                          {runtime_input(x), constant_input(scale), constant_input(bias)}),
                     naive_layer_norm(x, 24, as_doubles(scale), as_doubles(bias), 1e-5), 1e-5f,
                     1e-5f);
  // Without B, with another epsilon.
  expect_tensor_near(run1(OpKind::kLayerNormalization, {runtime_input(x), constant_input(scale)},
                          {{"epsilon", 0.1f}}),
                     naive_layer_norm(x, 24, as_doubles(scale), std::vector<double>(24, 0.0), 0.1f),
                     1e-5f, 1e-5f);
}

TEST(LayerNormTest, HandComputed) {
  // Row [1, 2, 3, 4]: mean 2.5, variance 1.25.
  const Tensor x = f32({1, 4}, {1, 2, 3, 4});
  const Tensor scale = f32({4}, {1, 1, 2, 2});
  const Tensor bias = f32({4}, {0, 0, 0, 1});
  const double inv = 1.0 / std::sqrt(1.25 + 1e-5);
  const std::vector<Tensor> out =
      run_reference(OpKind::kLayerNormalization,
                    {runtime_input(x), constant_input(scale), constant_input(bias)}, {}, 3);
  expect_tensor_near(
      out[0], f32({1, 4}, {static_cast<float>(-1.5 * inv), static_cast<float>(-0.5 * inv),
                           static_cast<float>(1.0 * inv), static_cast<float>(3.0 * inv + 1)}));
  expect_tensor_near(out[1], f32({1, 1}, {2.5f}));
  expect_tensor_near(out[2], f32({1, 1}, {static_cast<float>(inv)}));
}

TEST(LayerNormTest, SeveralAxesAndBroadcastScale) {
  // Normalise [C=5, W=6] of [3,5,6]; the scale [1,6] broadcasts over C, the bias is a scalar.
  const Tensor x = random_tensor({3, 5, 6}, 61, -1.f, 4.f);
  const Tensor scale = random_tensor({1, 6}, 62, 0.5f, 2.f);
  const Tensor bias = f32({}, {0.75f});
  std::vector<double> expanded_scale;
  for (int c = 0; c < 5; ++c) {
    for (int w = 0; w < 6; ++w) expanded_scale.push_back(scale.data<float>()[w]);
  }
  const std::vector<Tensor> out = run_reference(
      OpKind::kLayerNormalization, {runtime_input(x), runtime_input(scale), runtime_input(bias)},
      {{"axis", std::int64_t{-2}}}, 2);
  expect_tensor_near(out[0],
                     naive_layer_norm(x, 30, expanded_scale, std::vector<double>(30, 0.75), 1e-5),
                     1e-5f, 1e-5f);
  EXPECT_EQ(out[1].shape(), Shape({3, 1, 1}));
}

TEST(LayerNormTest, LargeInputRunsInParallel) {
  const Tensor x = random_tensor({4, 197, 192}, 71, -3.f, 3.f);
  const Tensor scale = random_tensor({192}, 72);
  const Tensor bias = random_tensor({192}, 73);
  expect_tensor_near(run1(OpKind::kLayerNormalization,
                          {runtime_input(x), constant_input(scale), constant_input(bias)}),
                     naive_layer_norm(x, 192, as_doubles(scale), as_doubles(bias), 1e-5), 1e-5f,
                     1e-5f);
}

TEST(LayerNormTest, Errors) {
  const Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  expect_node_error(
      [&] {
        run1(OpKind::kLayerNormalization, {runtime_input(x), constant_input(f32({2}, {1, 1}))});
      },
      "input 1 (Scale) has shape [2], which does not broadcast to the normalised shape [3]");
  expect_node_error(
      [&] {
        run1(OpKind::kLayerNormalization, {runtime_input(x), constant_input(f32({3}, {1, 1, 1})),
                                           constant_input(f32({2, 3}, {1, 1, 1, 1, 1, 1}))});
      },
      "input 2 (B) has shape [2,3]");
  expect_node_error(
      [&] {
        run1(OpKind::kLayerNormalization, {runtime_input(x), constant_input(f32({3}, {1, 1, 1}))},
             {{"axis", std::int64_t{-3}}});
      },
      "attribute axis = -3 is out of range for rank 2");
  expect_node_error(
      [&] {
        run1(OpKind::kLayerNormalization,
             {runtime_input(x), absent_input(), constant_input(f32({3}, {1, 1, 1}))});
      },
      "required input 1 (Scale) is missing");
}

}  // namespace
}  // namespace kiln
