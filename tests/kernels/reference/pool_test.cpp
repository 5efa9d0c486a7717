// Reference MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool: hand-computed cases (ceil
// mode and its divisors, the dropped last window, SAME pads, dilations), a naive oracle on odd
// geometries, and attribute errors.

#include <gtest/gtest.h>

#include <limits>
#include <numeric>

#include "kernels/reference/heavy_test_helpers.h"
#include "kernels/reference/sliding_window_oracle.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

Tensor iota_tensor(Shape shape, float start) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::iota(t.data<float>(), t.data<float>() + t.numel(), start);
  return t;
}

TEST(PoolReference, MaxPool2x2Stride2) {
  auto y = run_reference(OpKind::kMaxPool, {runtime_input(iota_tensor({1, 1, 4, 4}, 0))},
                         {{"kernel_shape", ints({2, 2})}, {"strides", ints({2, 2})}});
  expect_tensor_near(y[0], make_tensor<float>({1, 1, 2, 2}, {5, 7, 13, 15}));
}

TEST(PoolReference, OnnxDocCeilModeAndDilations) {
  const Tensor x = iota_tensor({1, 1, 4, 4}, 1);
  const ir::Attributes ceil = {
      {"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"ceil_mode", int_attr(1)}};
  expect_tensor_near(run_reference(OpKind::kMaxPool, {runtime_input(x)}, ceil)[0],
                     make_tensor<float>({1, 1, 2, 2}, {11, 12, 15, 16}));
  expect_tensor_near(run_reference(OpKind::kAveragePool, {runtime_input(x)}, ceil)[0],
                     make_tensor<float>({1, 1, 2, 2}, {6, 7.5, 12, 13.5}));
  expect_tensor_near(
      run_reference(OpKind::kMaxPool, {runtime_input(x)},
                    {{"kernel_shape", ints({2, 2})}, {"dilations", ints({2, 2})}})[0],
      make_tensor<float>({1, 1, 2, 2}, {11, 12, 15, 16}));
}

TEST(PoolReference, CeilModeDivisorExcludesPositionsPastTheRightPad) {
  const Tensor x = make_tensor<float>({1, 1, 5}, {1, 2, 3, 4, 5});
  // No pads: the ceil-mode window [4, 6) holds x[4] and one position past the input: / 1.
  for (std::int64_t include : {0, 1}) {
    auto y = run_reference(OpKind::kAveragePool, {runtime_input(x)},
                           {{"kernel_shape", ints({2})},
                            {"strides", ints({2})},
                            {"ceil_mode", int_attr(1)},
                            {"count_include_pad", int_attr(include)}});
    expect_tensor_near(y[0], make_tensor<float>({1, 1, 3}, {1.5f, 3.5f, 5.f}));
  }
  // Pads (1, 1): windows start at -1, 1, 3; a fourth would start at 5 (in the right pad) and is
  // dropped. count_include_pad counts the left pad position in the first window.
  const ir::Attributes padded = {{"kernel_shape", ints({2})},
                                 {"strides", ints({2})},
                                 {"pads", ints({1, 1})},
                                 {"ceil_mode", int_attr(1)},
                                 {"count_include_pad", int_attr(1)}};
  expect_tensor_near(run_reference(OpKind::kAveragePool, {runtime_input(x)}, padded)[0],
                     make_tensor<float>({1, 1, 3}, {0.5f, 2.5f, 4.5f}));
  ir::Attributes excluded = padded;
  excluded["count_include_pad"] = int_attr(0);
  expect_tensor_near(run_reference(OpKind::kAveragePool, {runtime_input(x)}, excluded)[0],
                     make_tensor<float>({1, 1, 3}, {1.f, 2.5f, 4.5f}));
}

TEST(PoolReference, WindowStartingInTheRightPaddingIsDropped) {
  // in 4, k 3, s 2, pads (0, 2), ceil: ceil((6 - 3) / 2) + 1 = 3 windows, but the third would
  // start at 4, past the input: 2 windows remain.
  auto y =
      run_reference(OpKind::kMaxPool, {runtime_input(make_tensor<float>({1, 1, 4}, {1, 2, 3, 4}))},
                    {{"kernel_shape", ints({3})},
                     {"strides", ints({2})},
                     {"pads", ints({0, 2})},
                     {"ceil_mode", int_attr(1)}});
  expect_tensor_near(y[0], make_tensor<float>({1, 1, 2}, {3, 4}));
}

TEST(PoolReference, PaddingNeverWinsAMax) {
  auto y =
      run_reference(OpKind::kMaxPool, {runtime_input(make_tensor<float>({1, 1, 3}, {-5, -7, -9}))},
                    {{"kernel_shape", ints({2})}, {"pads", ints({1, 1})}});
  expect_tensor_near(y[0], make_tensor<float>({1, 1, 4}, {-5, -5, -7, -9}));
}

TEST(PoolReference, MaxPropagatesNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto y = run_reference(OpKind::kMaxPool,
                         {runtime_input(make_tensor<float>({1, 1, 4}, {1, nan, 3, 4}))},
                         {{"kernel_shape", ints({2})}, {"strides", ints({2})}});
  EXPECT_TRUE(std::isnan(y[0].data<float>()[0]));
  EXPECT_EQ(y[0].data<float>()[1], 4.f);
}

TEST(PoolReference, SameUpperAndSameLower) {
  const Tensor x = make_tensor<float>({1, 1, 5}, {1, 5, 2, 4, 3});
  auto upper =
      run_reference(OpKind::kMaxPool, {runtime_input(x)},
                    {{"kernel_shape", ints({2})}, {"auto_pad", string_attr("SAME_UPPER")}});
  expect_tensor_near(upper[0], make_tensor<float>({1, 1, 5}, {5, 5, 4, 4, 3}));
  auto lower =
      run_reference(OpKind::kMaxPool, {runtime_input(x)},
                    {{"kernel_shape", ints({2})}, {"auto_pad", string_attr("SAME_LOWER")}});
  expect_tensor_near(lower[0], make_tensor<float>({1, 1, 5}, {1, 5, 5, 4, 4}));
  auto average =
      run_reference(OpKind::kAveragePool, {runtime_input(x)},
                    {{"kernel_shape", ints({2})}, {"auto_pad", string_attr("SAME_UPPER")}});
  expect_tensor_near(average[0], make_tensor<float>({1, 1, 5}, {3, 3.5f, 3, 3.5f, 3}));
  auto strided = run_reference(OpKind::kAveragePool, {runtime_input(x)},
                               {{"kernel_shape", ints({3})},
                                {"strides", ints({2})},
                                {"auto_pad", string_attr("SAME_LOWER")},
                                {"count_include_pad", int_attr(1)}});
  // out = ceil(5 / 2) = 3, total pad (3 - 1) * 2 + 3 - 5 = 2: one each side.
  expect_tensor_near(strided[0], make_tensor<float>({1, 1, 3}, {2, 11.f / 3, 7.f / 3}));
}

TEST(PoolReference, GlobalPoolsKeepRankAndReduceEverySpatialAxis) {
  const Tensor x = random_tensor({2, 3, 4, 5}, 21);
  auto avg = run_reference(OpKind::kGlobalAveragePool, {runtime_input(x)});
  auto max = run_reference(OpKind::kGlobalMaxPool, {runtime_input(x)});
  ASSERT_EQ(avg[0].shape(), (Shape{2, 3, 1, 1}));
  ASSERT_EQ(max[0].shape(), (Shape{2, 3, 1, 1}));
  for (std::int64_t plane = 0; plane < 6; ++plane) {
    const float* in = x.data<float>() + plane * 20;
    double sum = 0;
    float largest = in[0];
    for (int i = 0; i < 20; ++i) {
      sum += in[i];
      largest = std::max(largest, in[i]);
    }
    EXPECT_NEAR(avg[0].data<float>()[plane], sum / 20, 1e-6);
    EXPECT_EQ(max[0].data<float>()[plane], largest);
  }
  auto avg5d =
      run_reference(OpKind::kGlobalAveragePool, {runtime_input(iota_tensor({1, 2, 2, 2, 2}, 0))});
  expect_tensor_near(avg5d[0], make_tensor<float>({1, 2, 1, 1, 1}, {3.5f, 11.5f}));
}

struct PoolCase {
  const char* name;
  Shape x;
  std::vector<std::int64_t> kernel, strides, dilations, pads_begin, pads_end;
  bool ceil_mode;
};

void check_pool_against_oracle(const PoolCase& c) {
  SCOPED_TRACE(c.name);
  const Tensor x = random_tensor(c.x, 31);
  std::vector<std::int64_t> pads = c.pads_begin;
  pads.insert(pads.end(), c.pads_end.begin(), c.pads_end.end());
  WindowSpec spec{c.kernel, c.strides, c.dilations, c.pads_begin, {}};
  for (std::size_t i = 0; i < c.kernel.size(); ++i) {
    const std::int64_t extent = (c.kernel[i] - 1) * c.dilations[i] + 1;
    const std::int64_t span = c.x[i + 2] + c.pads_begin[i] + c.pads_end[i] - extent;
    std::int64_t out =
        (c.ceil_mode ? (span + c.strides[i] - 1) / c.strides[i] : span / c.strides[i]) + 1;
    if (c.ceil_mode && (out - 1) * c.strides[i] >= c.x[i + 2] + c.pads_begin[i]) --out;
    spec.out.push_back(out);
  }
  for (OpKind op : {OpKind::kMaxPool, OpKind::kAveragePool}) {
    for (std::int64_t include : {0, 1}) {
      if (op == OpKind::kMaxPool && include == 1) continue;
      auto y = run_reference(op, {runtime_input(x)},
                             {{"kernel_shape", ir::Attribute(c.kernel)},
                              {"strides", ir::Attribute(c.strides)},
                              {"dilations", ir::Attribute(c.dilations)},
                              {"pads", ir::Attribute(pads)},
                              {"ceil_mode", int_attr(c.ceil_mode ? 1 : 0)},
                              {"count_include_pad", int_attr(include)}});
      expect_close(y[0], oracle_pool(x, op == OpKind::kMaxPool, include == 1, spec, c.pads_end),
                   1e-5f);
    }
  }
}

TEST(PoolReference, MatchesOracleOnOddGeometries) {
  const PoolCase cases[] = {
      {"1d", {2, 3, 13}, {3}, {2}, {1}, {1}, {1}, true},
      {"2d ceil asym", {1, 2, 9, 8}, {3, 2}, {2, 3}, {1, 1}, {1, 0}, {0, 1}, true},
      {"2d dilated ceil", {2, 2, 11, 10}, {3, 3}, {2, 2}, {2, 1}, {2, 1}, {1, 1}, true},
      {"2d floor", {1, 3, 7, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, false},
      {"3d ceil", {1, 2, 5, 6, 7}, {2, 3, 2}, {2, 2, 3}, {1, 1, 2}, {0, 1, 1}, {1, 0, 0}, true},
  };
  for (const PoolCase& c : cases) check_pool_against_oracle(c);
}

TEST(PoolReference, BadAttributesNameTheNode) {
  const Tensor x = random_tensor({1, 2, 6, 6}, 41);
  expect_infer_error(OpKind::kMaxPool, {runtime_input(x)}, {},
                     "required attribute 'kernel_shape' is missing");
  expect_infer_error(OpKind::kMaxPool, {runtime_input(x)}, {{"kernel_shape", ints({3})}},
                     "kernel_shape [3] has 1 values, input X [1,2,6,6] has 2 spatial axes");
  expect_infer_error(OpKind::kAveragePool, {runtime_input(x)},
                     {{"kernel_shape", ints({3, 3})}, {"strides", ints({1, 0})}},
                     "attribute 'strides' = [1,0] has a value below 1");
  expect_infer_error(OpKind::kMaxPool, {runtime_input(x)}, {{"kernel_shape", ints({7, 3})}},
                     "kernel extent 7 (kernel 7, dilation 1) is larger than the padded input 6");
  expect_infer_error(OpKind::kAveragePool, {runtime_input(x)},
                     {{"kernel_shape", ints({2, 2})}, {"pads", ints({2, 0, 0, 0})}},
                     "pooling window 0 on spatial axis 0 covers only padding");
  expect_node_error(
      [&] {
        SingleNodeGraph g(OpKind::kMaxPool, {runtime_input(x)}, {{"kernel_shape", ints({2, 2})}},
                          2);
      },
      "MaxPool's Indices output is not supported");
  expect_infer_error(OpKind::kGlobalAveragePool, {runtime_input(random_tensor({2, 3}, 1))}, {},
                     "kiln supports at least 1 spatial axis");
  expect_infer_error(OpKind::kGlobalMaxPool,
                     {runtime_input(make_tensor<std::int64_t>({1, 1, 2}, {1, 2}))}, {},
                     "is int64; kiln computes GlobalMaxPool in float32 only");
}

}  // namespace
}  // namespace kiln::testing
