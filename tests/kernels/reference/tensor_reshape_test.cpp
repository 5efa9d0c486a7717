// Shape-only and generating ops: Identity Flatten Reshape Squeeze Unsqueeze Shape Size
// ConstantOfShape Range.

#include <limits>

#include "tensor_test_support.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

Shape reshape_shape(const Shape& in, std::vector<std::int64_t> shape, std::int64_t allow_zero = 0) {
  SingleNodeGraph g(OpKind::kReshape,
                    {runtime_input(Tensor(DType::kFloat32, in)), constant_input(int64s(shape))},
                    {{"allowzero", allow_zero}});
  return g.node().output(0)->shape();
}

std::vector<std::int64_t> identity_sources(std::int64_t n) {
  std::vector<std::int64_t> s(static_cast<std::size_t>(n));
  std::iota(s.begin(), s.end(), 0);
  return s;
}

TEST(Identity, CopiesEveryDType) {
  check_movement_all_dtypes(OpKind::kIdentity, {3, 5}, {}, {}, identity_sources(15));
}

TEST(Reshape, ZeroCopiesAndMinusOneInfers) {
  EXPECT_EQ(reshape_shape({2, 3, 4}, {0, -1}), Shape({2, 12}));
  EXPECT_EQ(reshape_shape({2, 3, 4}, {-1, 0}), Shape({8, 3}));
  EXPECT_EQ(reshape_shape({2, 3, 4}, {0, 0, 2, -1}), Shape({2, 3, 2, 2}));
  EXPECT_EQ(reshape_shape({2, 3, 4}, {-1}), Shape({24}));
  EXPECT_EQ(reshape_shape({2, 3, 4}, {4, 1, 3, 2}), Shape({4, 1, 3, 2}));
}

TEST(Reshape, ScalarAndEmptyTensors) {
  EXPECT_EQ(reshape_shape({1, 1}, {}), Shape());
  EXPECT_EQ(reshape_shape({0, 3}, {3, 0}, 1), Shape({3, 0}));
  EXPECT_EQ(reshape_shape({0, 3}, {0, 3}), Shape({0, 3}));
}

TEST(Reshape, AllowZeroKeepsZeroLiteral) {
  EXPECT_EQ(reshape_shape({0, 4}, {4, 0}, 1), Shape({4, 0}));
}

TEST(Reshape, KeepsBytesOfEveryDType) {
  check_movement_all_dtypes(OpKind::kReshape, {2, 3, 5}, {constant_input(int64s({5, -1}))}, {},
                            identity_sources(30));
}

TEST(Reshape, BadShapesAreErrors) {
  expect_node_error([] { reshape_shape({2, 3}, {4, 2}); }, "(6 elements) to [4,2] (8 elements)");
  expect_node_error([] { reshape_shape({5}, {}); }, "(5 elements) to [] (1 elements)");
  expect_node_error([] { reshape_shape({2, 3}, {-1, -1}); }, "more than one -1");
  expect_node_error([] { reshape_shape({2, 3}, {4, -1}); }, "6 is not a multiple of 4");
  expect_node_error([] { reshape_shape({2, 3}, {3, -2}); }, "has -2 at index 1");
  expect_node_error([] { reshape_shape({6}, {1, 0}); }, "has 0 (copy the input dimension)");
  expect_node_error([] { reshape_shape({0, 3}, {0, -1}, 1); }, "both 0 and -1");
  expect_node_error(
      [] {
        SingleNodeGraph g(OpKind::kReshape, {runtime_input(Tensor(DType::kFloat32, {2, 3})),
                                             runtime_input(int64s({3, 2}))});
      },
      "must be a constant");
  expect_node_error(
      [] {
        SingleNodeGraph g(OpKind::kReshape, {runtime_input(Tensor(DType::kFloat32, {2, 3})),
                                             constant_input(make_tensor<float>({2}, {3, 2}))});
      },
      "must be int64 or int32");
}

TEST(Flatten, Axes) {
  auto flatten = [](Shape in, std::int64_t axis) {
    SingleNodeGraph g(OpKind::kFlatten, {runtime_input(Tensor(DType::kFloat32, std::move(in)))},
                      {{"axis", axis}});
    return g.node().output(0)->shape();
  };
  EXPECT_EQ(flatten({2, 3, 4, 5}, 0), Shape({1, 120}));
  EXPECT_EQ(flatten({2, 3, 4, 5}, 1), Shape({2, 60}));
  EXPECT_EQ(flatten({2, 3, 4, 5}, 3), Shape({24, 5}));
  EXPECT_EQ(flatten({2, 3, 4, 5}, 4), Shape({120, 1}));
  EXPECT_EQ(flatten({2, 3, 4, 5}, -1), Shape({24, 5}));
  EXPECT_EQ(flatten({2, 3, 4, 5}, -4), Shape({1, 120}));
  SingleNodeGraph default_axis(OpKind::kFlatten, {runtime_input(Tensor(DType::kInt8, {3, 2, 2}))});
  EXPECT_EQ(default_axis.node().output(0)->shape(), Shape({3, 4}));
  EXPECT_EQ(default_axis.node().output(0)->dtype(), DType::kInt8);
  expect_node_error([&] { flatten({2, 3}, 3); }, "axis = 3 is out of range for rank 2");
  expect_node_error([&] { flatten({2, 3}, -3); }, "axis = -3 is out of range");
  check_movement_all_dtypes(OpKind::kFlatten, {2, 3, 2}, {}, {{"axis", std::int64_t{2}}},
                            identity_sources(12));
}

TEST(Squeeze, GivenAxesIncludingNegative) {
  SingleNodeGraph g(OpKind::kSqueeze, {runtime_input(Tensor(DType::kFloat32, {1, 3, 1, 5, 1})),
                                       constant_input(int64s({0, -1}))});
  EXPECT_EQ(g.node().output(0)->shape(), Shape({3, 1, 5}));
}

TEST(Squeeze, WithoutAxesDropsEveryOne) {
  SingleNodeGraph g(OpKind::kSqueeze, {runtime_input(Tensor(DType::kFloat32, {1, 3, 1, 5, 1}))});
  EXPECT_EQ(g.node().output(0)->shape(), Shape({3, 5}));
  SingleNodeGraph all_ones(OpKind::kSqueeze,
                           {runtime_input(Tensor(DType::kFloat32, {1, 1})), absent_input()});
  EXPECT_EQ(all_ones.node().output(0)->shape(), Shape());
  check_movement_all_dtypes(OpKind::kSqueeze, {1, 2, 1, 3}, {constant_input(int64s({2}))}, {},
                            identity_sources(6));
}

TEST(Squeeze, BadAxesAreErrors) {
  const Tensor x(DType::kFloat32, {1, 3, 1});
  expect_node_error(
      [&] {
        run_reference(OpKind::kSqueeze, {runtime_input(x), constant_input(int64s({1}))});
      },
      "cannot squeeze axis 1");
  expect_node_error(
      [&] {
        run_reference(OpKind::kSqueeze, {runtime_input(x), constant_input(int64s({3}))});
      },
      "axes[0] = 3 is out of range for rank 3");
  expect_node_error(
      [&] {
        run_reference(OpKind::kSqueeze, {runtime_input(x), constant_input(int64s({0, -3}))});
      },
      "names axis 0 twice");
}

TEST(Unsqueeze, AxesCountInTheOutputRank) {
  auto unsqueeze = [](std::vector<std::int64_t> axes) {
    SingleNodeGraph g(OpKind::kUnsqueeze, {runtime_input(Tensor(DType::kFloat32, {3, 4})),
                                           constant_input(int64s(std::move(axes)))});
    return g.node().output(0)->shape();
  };
  EXPECT_EQ(unsqueeze({0}), Shape({1, 3, 4}));
  EXPECT_EQ(unsqueeze({-1}), Shape({3, 4, 1}));
  EXPECT_EQ(unsqueeze({0, -1}), Shape({1, 3, 4, 1}));
  EXPECT_EQ(unsqueeze({3, 1}), Shape({3, 1, 4, 1}));
  EXPECT_EQ(unsqueeze({1, 2, -1}), Shape({3, 1, 1, 4, 1}));
  expect_node_error([&] { unsqueeze({3}); }, "axes[0] = 3 is out of range for rank 3");
  expect_node_error([&] { unsqueeze({1, -3}); }, "names axis 1 twice");
  check_movement_all_dtypes(OpKind::kUnsqueeze, {2, 3}, {constant_input(int64s({1}))}, {},
                            identity_sources(6));
}

TEST(Shape, StartAndEndAttributes) {
  const Tensor x(DType::kUInt8, {2, 3, 4, 5});
  auto shape_of = [&](ir::Attributes attributes) {
    return run_reference(OpKind::kShape, {runtime_input(x)}, std::move(attributes))[0];
  };
  expect_tensor_near(shape_of({}), int64s({2, 3, 4, 5}));
  expect_tensor_near(shape_of({{"start", std::int64_t{1}}}), int64s({3, 4, 5}));
  expect_tensor_near(shape_of({{"end", std::int64_t{-1}}}), int64s({2, 3, 4}));
  expect_tensor_near(shape_of({{"start", std::int64_t{-2}}, {"end", std::int64_t{3}}}),
                     int64s({4}));
  expect_tensor_near(shape_of({{"start", std::int64_t{-10}}, {"end", std::int64_t{10}}}),
                     int64s({2, 3, 4, 5}));
  expect_tensor_near(shape_of({{"start", std::int64_t{3}}, {"end", std::int64_t{1}}}), int64s({}));
  const auto scalar = run_reference(OpKind::kShape, {runtime_input(Tensor(DType::kBool, {}))});
  EXPECT_EQ(scalar[0].shape(), Shape({0}));
}

TEST(Size, IsScalarElementCount) {
  const auto out = run_reference(OpKind::kSize, {runtime_input(Tensor(DType::kFloat16, {3, 5}))});
  EXPECT_EQ(out[0].shape(), Shape());
  EXPECT_EQ(out[0].dtype(), DType::kInt64);
  EXPECT_EQ(out[0].to_int64_vector(), std::vector<std::int64_t>{15});
}

TEST(ConstantOfShape, DefaultIsFloatZero) {
  const auto out = run_reference(OpKind::kConstantOfShape, {constant_input(int64s({2, 3}))});
  expect_tensor_near(out[0], Tensor(DType::kFloat32, {2, 3}));
}

TEST(ConstantOfShape, ValueSetsDTypeAndFill) {
  const auto ints = run_reference(OpKind::kConstantOfShape, {constant_input(int64s({3}))},
                                  {{"value", make_tensor<std::int64_t>({1}, {-7})}});
  expect_tensor_near(ints[0], int64s({-7, -7, -7}));
  const auto floats = run_reference(OpKind::kConstantOfShape, {constant_input(int64s({2, 1}))},
                                    {{"value", make_tensor<float>({1}, {0.5f})}});
  expect_tensor_near(floats[0], make_tensor<float>({2, 1}, {0.5f, 0.5f}));
  const auto scalar = run_reference(OpKind::kConstantOfShape, {constant_input(int64s({}))},
                                    {{"value", make_tensor<bool>({1}, {true})}});
  EXPECT_EQ(scalar[0].shape(), Shape());
  EXPECT_EQ(scalar[0].to_int64_vector(), std::vector<std::int64_t>{1});
  const auto empty = run_reference(OpKind::kConstantOfShape, {constant_input(int64s({0, 4}))});
  EXPECT_EQ(empty[0].shape(), Shape({0, 4}));
}

TEST(ConstantOfShape, BadInputsAreErrors) {
  expect_node_error(
      [] {
        run_reference(OpKind::kConstantOfShape, {constant_input(int64s({2, -1}))});
      },
      "negative dimension");
  expect_node_error(
      [] {
        run_reference(OpKind::kConstantOfShape, {constant_input(int64s({2}))},
                      {{"value", make_tensor<float>({2}, {1, 2})}});
      },
      "exactly one element");
  expect_node_error([] { run_reference(OpKind::kConstantOfShape, {runtime_input(int64s({2}))}); },
                    "must be a constant");
}

template <typename T>
Tensor scalar(T value) {
  return make_tensor<T>(Shape{}, {value});
}

std::vector<Tensor> range(const Tensor& start, const Tensor& limit, const Tensor& delta) {
  return run_reference(OpKind::kRange,
                       {constant_input(start), constant_input(limit), constant_input(delta)});
}

TEST(Range, FloatIntAndNegativeDelta) {
  expect_tensor_near(range(scalar(1.f), scalar(2.f), scalar(0.25f))[0],
                     make_tensor<float>({4}, {1.f, 1.25f, 1.5f, 1.75f}));
  expect_tensor_near(range(scalar(0.f), scalar(1.f), scalar(0.3f))[0],
                     make_tensor<float>({4}, {0.f, 0.3f, 0.6f, 0.9f}));
  expect_tensor_near(
      range(scalar<std::int64_t>(10), scalar<std::int64_t>(3), scalar<std::int64_t>(-3))[0],
      int64s({10, 7, 4}));
  expect_tensor_near(
      range(scalar<std::int32_t>(-2), scalar<std::int32_t>(5), scalar<std::int32_t>(2))[0],
      make_tensor<std::int32_t>({4}, {-2, 0, 2, 4}));
  EXPECT_EQ(
      range(scalar<std::int64_t>(5), scalar<std::int64_t>(5), scalar<std::int64_t>(1))[0].shape(),
      Shape({0}));
  EXPECT_EQ(range(scalar(3.f), scalar(1.f), scalar(1.f))[0].shape(), Shape({0}));
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(
      range(scalar<std::int64_t>(big - 2), scalar<std::int64_t>(big), scalar<std::int64_t>(1))[0]
          .to_int64_vector(),
      (std::vector<std::int64_t>{big - 2, big - 1}));
}

TEST(Range, BadInputsAreErrors) {
  expect_node_error([] { range(scalar(0.f), scalar(1.f), scalar(0.f)); }, "delta is 0");
  expect_node_error([] { range(scalar(0.f), scalar<std::int64_t>(1), scalar(1.f)); },
                    "must have one dtype");
  expect_node_error(
      [] { range(scalar<std::int8_t>(0), scalar<std::int8_t>(4), scalar<std::int8_t>(1)); },
      "dtype int8 is not supported");
  expect_node_error(
      [] {
        run_reference(OpKind::kRange, {runtime_input(scalar(0.f)), constant_input(scalar(1.f)),
                                       constant_input(scalar(1.f))});
      },
      "must be a constant");
}

}  // namespace
}  // namespace kiln::testing
