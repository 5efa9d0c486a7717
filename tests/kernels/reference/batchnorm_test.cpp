// Reference BatchNormalization (inference form): hand-computed values, ranks 2 to 5, and
// shape / attribute errors.

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/reference/heavy_test_helpers.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

std::vector<NodeInput> bn_inputs(Tensor x, std::uint32_t seed) {
  const std::int64_t c = x.shape()[1];
  return {runtime_input(std::move(x)), constant_input(random_tensor({c}, seed, 0.5f, 2.f)),
          constant_input(random_tensor({c}, seed + 1)),
          constant_input(random_tensor({c}, seed + 2)),
          constant_input(random_tensor({c}, seed + 3, 0.1f, 3.f))};
}

TEST(BatchNormReference, HandComputed) {
  // channel 0: (x - 1) / sqrt(4) * 2 + 1 = x; channel 1: (x - 2) / sqrt(0.25) * 0.5 - 1 = x - 3.
  auto y = run_reference(OpKind::kBatchNormalization,
                         {runtime_input(make_tensor<float>({1, 2, 2}, {1, 2, 3, 4})),
                          constant_input(make_tensor<float>({2}, {2, 0.5f})),
                          constant_input(make_tensor<float>({2}, {1, -1})),
                          constant_input(make_tensor<float>({2}, {1, 2})),
                          constant_input(make_tensor<float>({2}, {4, 0.25f}))},
                         {{"epsilon", float_attr(0.f)}});
  expect_tensor_near(y[0], make_tensor<float>({1, 2, 2}, {1, 2, 0, 1}));
}

TEST(BatchNormReference, AnyRankMatchesTheFormula) {
  for (const Shape& shape :
       {Shape{3, 5}, Shape{2, 3, 7}, Shape{2, 4, 3, 5}, Shape{1, 3, 2, 3, 4}}) {
    SCOPED_TRACE(shape.to_string());
    std::vector<NodeInput> in = bn_inputs(random_tensor(shape, 50), 60);
    auto y = run_reference(OpKind::kBatchNormalization, in, {{"epsilon", float_attr(1e-3f)}});
    ASSERT_EQ(y[0].shape(), shape);
    const std::int64_t c = shape[1];
    const std::int64_t plane = shape.numel() / (shape[0] * c);
    const float* x = in[0].data.data<float>();
    const float* scale = in[1].data.data<float>();
    const float* bias = in[2].data.data<float>();
    const float* mean = in[3].data.data<float>();
    const float* var = in[4].data.data<float>();
    for (std::int64_t i = 0; i < shape.numel(); ++i) {
      const std::int64_t ch = (i / plane) % c;
      const double expected =
          (x[i] - mean[ch]) / std::sqrt(static_cast<double>(var[ch]) + 1e-3) * scale[ch] + bias[ch];
      EXPECT_NEAR(y[0].data<float>()[i], expected, 1e-5) << "element " << i;
    }
  }
}

TEST(BatchNormReference, BadShapesNameTheNode) {
  std::vector<NodeInput> in = bn_inputs(random_tensor({2, 3, 4}, 70), 80);
  std::vector<NodeInput> wrong_mean = in;
  wrong_mean[3] = constant_input(random_tensor({4}, 1));
  expect_infer_error(OpKind::kBatchNormalization, wrong_mean, {},
                     "input_mean has shape [4], expected [3]");
  expect_infer_error(OpKind::kBatchNormalization, in, {{"training_mode", int_attr(1)}},
                     "training_mode = 1 is not supported");
  std::vector<NodeInput> missing(in.begin(), in.begin() + 4);
  expect_infer_error(OpKind::kBatchNormalization, missing, {}, "required input 4");
  std::vector<NodeInput> rank1 = in;
  rank1[0] = runtime_input(random_tensor({3}, 2));
  expect_infer_error(OpKind::kBatchNormalization, rank1, {}, "needs rank 2 or more");
  std::vector<NodeInput> ints = in;
  ints[0] = runtime_input(make_tensor<std::int64_t>({1, 3}, {1, 2, 3}));
  expect_infer_error(OpKind::kBatchNormalization, ints, {},
                     "kiln computes BatchNormalization in float32 only");
}

}  // namespace
}  // namespace kiln::testing
