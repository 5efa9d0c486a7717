// Slice, Gather, Pad, Expand and Tile reference kernels.

#include <limits>

#include "tensor_test_support.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

// Sources of a gather along every axis by index lists: out[i0, i1, ...] = in[l0[i0], l1[i1], ...].
std::vector<std::int64_t> product_sources(const Shape& in,
                                          const std::vector<std::vector<std::int64_t>>& lists) {
  std::vector<std::int64_t> out_dims;
  for (const auto& list : lists) out_dims.push_back(static_cast<std::int64_t>(list.size()));
  const Shape out(out_dims);
  std::vector<std::int64_t> sources;
  for (std::int64_t j = 0; j < out.numel(); ++j) {
    std::vector<std::int64_t> index = unravel(j, out);
    for (std::size_t d = 0; d < index.size(); ++d) {
      index[d] = lists[d][static_cast<std::size_t>(index[d])];
    }
    sources.push_back(ravel(index, in));
  }
  return sources;
}

// ---- Slice ----

std::vector<NodeInput> slice_inputs(std::vector<std::int64_t> starts,
                                    std::vector<std::int64_t> ends,
                                    std::vector<std::int64_t> axes = {},
                                    std::vector<std::int64_t> steps = {}) {
  std::vector<NodeInput> inputs = {constant_input(int64s(std::move(starts))),
                                   constant_input(int64s(std::move(ends)))};
  if (!axes.empty()) inputs.push_back(constant_input(int64s(std::move(axes))));
  if (!steps.empty()) {
    if (inputs.size() == 2) inputs.push_back(absent_input());
    inputs.push_back(constant_input(int64s(std::move(steps))));
  }
  return inputs;
}

Tensor slice(const Tensor& data, std::vector<NodeInput> params) {
  params.insert(params.begin(), runtime_input(data));
  return run_reference(OpKind::kSlice, params)[0];
}

TEST(Slice, DefaultAxesAndSteps) {
  expect_tensor_near(slice(iota<std::int64_t>({3, 4}), slice_inputs({1, 0}, {3, 3})),
                     make_tensor<std::int64_t>({2, 3}, {4, 5, 6, 8, 9, 10}));
}

TEST(Slice, NegativeStepsReverse) {
  // The exporter's flip: start -1, end INT64_MIN, step -1.
  expect_tensor_near(slice(iota<std::int64_t>({2, 3}), slice_inputs({-1}, {kMin}, {1}, {-1})),
                     make_tensor<std::int64_t>({2, 3}, {2, 1, 0, 5, 4, 3}));
  expect_tensor_near(slice(iota<std::int64_t>({1, 7}), slice_inputs({5}, {0}, {1}, {-2})),
                     make_tensor<std::int64_t>({1, 3}, {5, 3, 1}));
  // Out-of-range start and end clamp to the last element and before the first.
  expect_tensor_near(slice(iota<std::int64_t>({4}), slice_inputs({100}, {-100}, {0}, {-1})),
                     make_tensor<std::int64_t>({4}, {3, 2, 1, 0}));
}

TEST(Slice, HugeEndsAndOutOfRangeStarts) {
  expect_tensor_near(slice(iota<std::int64_t>({4}), slice_inputs({1}, {kMax})),
                     make_tensor<std::int64_t>({3}, {1, 2, 3}));
  expect_tensor_near(slice(iota<std::int64_t>({8}), slice_inputs({0}, {kMax}, {0}, {3})),
                     make_tensor<std::int64_t>({3}, {0, 3, 6}));
  expect_tensor_near(slice(iota<std::int64_t>({8}), slice_inputs({kMin}, {2})),
                     make_tensor<std::int64_t>({2}, {0, 1}));
  EXPECT_EQ(slice(iota<std::int64_t>({4}), slice_inputs({10}, {12})).shape(), Shape({0}));
  EXPECT_EQ(slice(iota<std::int64_t>({4}), slice_inputs({3}, {1})).shape(), Shape({0}));
  expect_tensor_near(slice(iota<std::int64_t>({8}), slice_inputs({2}, {3}, {0}, {kMax})),
                     make_tensor<std::int64_t>({1}, {2}));
}

TEST(Slice, NegativeAxesAndInt32Parameters) {
  expect_tensor_near(slice(iota<std::int64_t>({2, 4}), slice_inputs({1}, {-1}, {-1})),
                     make_tensor<std::int64_t>({2, 2}, {1, 2, 5, 6}));
  const Tensor out =
      slice(iota<std::int64_t>({2, 4}), {constant_input(make_tensor<std::int32_t>({1}, {2})),
                                         constant_input(make_tensor<std::int32_t>({1}, {4})),
                                         constant_input(make_tensor<std::int32_t>({1}, {1}))});
  expect_tensor_near(out, make_tensor<std::int64_t>({2, 2}, {2, 3, 6, 7}));
}

TEST(Slice, EveryDTypeWithMixedSteps) {
  // Axis 0: 1, 2. Axis 1 (dim 5): from 4 down past 0 by 2: 4, 2, 0. Axis 2 (dim 7): 0, 3, 6.
  const Shape shape{3, 5, 7};
  check_movement_all_dtypes(OpKind::kSlice, shape,
                            slice_inputs({1, -1, 0}, {3, kMin, 7}, {0, 1, 2}, {1, -2, 3}), {},
                            product_sources(shape, {{1, 2}, {4, 2, 0}, {0, 3, 6}}));
}

TEST(Slice, BadParametersAreErrors) {
  const Tensor x = iota<float>({3, 4});
  expect_node_error([&] { slice(x, slice_inputs({0}, {2}, {0}, {0})); }, "steps[0] is 0");
  expect_node_error([&] { slice(x, slice_inputs({0, 1}, {2})); }, "must have one length, got 2, 1");
  expect_node_error([&] { slice(x, slice_inputs({0, 0}, {2, 2}, {1, -1})); }, "names axis 1 twice");
  expect_node_error([&] { slice(x, slice_inputs({0}, {2}, {2})); },
                    "axes[0] = 2 is out of range for rank 2");
  expect_node_error(
      [&] {
        run_reference(OpKind::kSlice,
                      {runtime_input(x), runtime_input(int64s({0})), constant_input(int64s({2}))});
      },
      "input 1 (starts, 'in1') must be a constant");
}

// ---- Gather ----

TEST(Gather, AxisZeroWithMatrixOfIndices) {
  const auto out = run_reference(OpKind::kGather,
                                 {runtime_input(make_tensor<float>({3, 2}, {1, 2, 3, 4, 5, 6})),
                                  runtime_input(make_tensor<std::int64_t>({2, 2}, {0, 1, 1, 2}))});
  expect_tensor_near(out[0], make_tensor<float>({2, 2, 2}, {1, 2, 3, 4, 3, 4, 5, 6}));
}

TEST(Gather, AxisOneNegativeAndScalarIndices) {
  const auto columns = run_reference(
      OpKind::kGather,
      {runtime_input(iota<float>({3, 3})), constant_input(make_tensor<std::int32_t>({2}, {0, -1}))},
      {{"axis", std::int64_t{-1}}});
  expect_tensor_near(columns[0], make_tensor<float>({3, 2}, {0, 2, 3, 5, 6, 8}));
  const auto row = run_reference(
      OpKind::kGather,
      {runtime_input(iota<float>({3, 2})), runtime_input(make_tensor<std::int64_t>({}, {-2}))});
  expect_tensor_near(row[0], make_tensor<float>({2}, {2, 3}));
}

TEST(Gather, EveryDTypeOnAMiddleAxis) {
  const Shape shape{2, 5, 3};
  check_movement_all_dtypes(
      OpKind::kGather, shape, {constant_input(make_tensor<std::int64_t>({3}, {4, 0, -2}))},
      {{"axis", std::int64_t{1}}}, product_sources(shape, {{0, 1}, {4, 0, 3}, {0, 1, 2}}));
}

TEST(Gather, LargeOnThreadsMatchesDefinition) {
  const Tensor data = random_tensor({1000, 33}, 3);
  std::vector<std::int64_t> indices;
  for (std::int64_t i = 0; i < 700; ++i) indices.push_back((i * 379) % 1000 - 500);
  const auto out =
      run_reference(OpKind::kGather, {runtime_input(data), runtime_input(int64s(indices))});
  ASSERT_EQ(out[0].shape(), Shape({700, 33}));
  for (std::size_t i = 0; i < indices.size(); ++i) {
    const std::int64_t row = indices[i] < 0 ? indices[i] + 1000 : indices[i];
    ASSERT_EQ(std::memcmp(out[0].data<float>() + i * 33, data.data<float>() + row * 33, 33 * 4), 0);
  }
}

TEST(Gather, OutOfRangeIndicesAreErrors) {
  const Tensor data = iota<float>({3, 2});
  // Known at compile time: refused by shape inference.
  expect_node_error(
      [&] {
        run_reference(OpKind::kGather, {runtime_input(data), constant_input(int64s({0, 3}))});
      },
      "index 3 (at position 1 of indices) is out of range for axis 0 of size 3");
  // Known only at run time: refused by the kernel, before it copies anything.
  SingleNodeGraph g(OpKind::kGather, {runtime_input(data), runtime_input(int64s({-4}))});
  expect_node_error([&] { g.run(); }, "index -4 (at position 0 of indices) is out of range");
  expect_node_error(
      [&] {
        run_reference(OpKind::kGather,
                      {runtime_input(data), runtime_input(make_tensor<float>({1}, {0}))});
      },
      "indices must be int64 or int32");
}

// ---- Pad ----

Tensor pad(const Tensor& data, std::vector<std::int64_t> pads, std::string mode,
           const Tensor& value = Tensor()) {
  return run_reference(
      OpKind::kPad,
      {runtime_input(data), constant_input(int64s(std::move(pads))), runtime_input(value)},
      {{"mode", std::move(mode)}})[0];
}

TEST(Pad, ConstantByHand) {
  const Tensor out = pad(make_tensor<float>({2, 3}, {1, 2, 3, 4, 5, 6}), {0, 1, 1, 2}, "constant",
                         make_tensor<float>({}, {9}));
  expect_tensor_near(out, make_tensor<float>({3, 6}, {9, 1, 2, 3, 9, 9,  //
                                                      9, 4, 5, 6, 9, 9,  //
                                                      9, 9, 9, 9, 9, 9}));
  // Without constant_value the padding is zero.
  expect_tensor_near(pad(make_tensor<std::int64_t>({2}, {7, 8}), {1, 1}, "constant"),
                     make_tensor<std::int64_t>({4}, {0, 7, 8, 0}));
}

TEST(Pad, MinusInfinityForMaxPooling) {
  const float inf = std::numeric_limits<float>::infinity();
  expect_tensor_near(pad(make_tensor<float>({1, 2}, {1, 2}), {0, 1, 0, 1}, "constant",
                         make_tensor<float>({}, {-inf})),
                     make_tensor<float>({1, 4}, {-inf, 1, 2, -inf}));
}

TEST(Pad, ReflectLikeNumpy) {
  expect_tensor_near(pad(make_tensor<float>({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f}),
                         {0, 2, 0, 0}, "reflect"),
                     make_tensor<float>({3, 4}, {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f,
                                                 4.5f, 5.7f, 4.5f, 5.7f}));
  expect_tensor_near(pad(make_tensor<std::int32_t>({4}, {1, 2, 3, 4}), {3, 2}, "reflect"),
                     make_tensor<std::int32_t>({9}, {4, 3, 2, 1, 2, 3, 4, 3, 2}));
  // Wider than the axis: numpy mirrors again and again.
  expect_tensor_near(pad(make_tensor<std::int32_t>({3}, {1, 2, 3}), {5, 0}, "reflect"),
                     make_tensor<std::int32_t>({8}, {2, 1, 2, 3, 2, 1, 2, 3}));
  expect_tensor_near(pad(make_tensor<std::int32_t>({3}, {1, 2, 3}), {0, 7}, "reflect"),
                     make_tensor<std::int32_t>({10}, {1, 2, 3, 2, 1, 2, 3, 2, 1, 2}));
  expect_tensor_near(pad(make_tensor<std::int32_t>({1}, {5}), {2, 1}, "reflect"),
                     make_tensor<std::int32_t>({4}, {5, 5, 5, 5}));
}

TEST(Pad, EdgeByHand) {
  expect_tensor_near(pad(make_tensor<float>({2, 2}, {1, 2, 3, 4}), {1, 1, 1, 1}, "edge"),
                     make_tensor<float>({4, 4}, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
}

TEST(Pad, NegativePadsCrop) {
  // Axis 0 loses its first row; axis 1 gains a zero column in front and loses two at the end.
  expect_tensor_near(pad(iota<float>({3, 4}), {-1, 1, 0, -2}, "constant"),
                     make_tensor<float>({2, 3}, {0, 4, 5, 0, 8, 9}));
  // Crop first, then reflect what is left: [2, 3, 4, 5] + mirror [4, 3].
  expect_tensor_near(pad(make_tensor<float>({5}, {1, 2, 3, 4, 5}), {-1, 2}, "reflect"),
                     make_tensor<float>({6}, {2, 3, 4, 5, 4, 3}));
  EXPECT_EQ(pad(iota<float>({3}), {-2, -1}, "constant").shape(), Shape({0}));
}

TEST(Pad, EveryDTypeEdgeAndConstantZero) {
  const Shape shape{3, 4};
  // Edge pads [1, 0] on axis 0 and [2, 1] on axis 1: clamped indices.
  check_movement_all_dtypes(OpKind::kPad, shape, {constant_input(int64s({1, 2, 0, 1}))},
                            {{"mode", std::string("edge")}},
                            product_sources(shape, {{0, 0, 1, 2}, {0, 0, 0, 1, 2, 3, 3}}));
  for (DType dtype : kAllDTypes) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    const Tensor data = random_bytes(dtype, {2, 3}, 4);
    const auto out =
        run_reference(OpKind::kPad, {runtime_input(data), constant_input(int64s({1, 0, 0, 2}))});
    ASSERT_EQ(out[0].shape(), Shape({3, 5}));
    const std::size_t size = dtype_size(dtype);
    const auto* bytes = static_cast<const unsigned char*>(out[0].raw());
    for (std::int64_t r = 0; r < 3; ++r) {
      for (std::int64_t c = 0; c < 5; ++c) {
        const unsigned char* element = bytes + (r * 5 + c) * size;
        if (r == 0 || c >= 3) {
          for (std::size_t b = 0; b < size; ++b) EXPECT_EQ(element[b], 0);
        } else {
          EXPECT_EQ(
              std::memcmp(element, static_cast<const char*>(data.raw()) + ((r - 1) * 3 + c) * size,
                          size),
              0);
        }
      }
    }
  }
}

TEST(Pad, LargeReflectOnThreadsMatchesDefinition) {
  const Shape shape{40, 67, 65};
  std::vector<std::int64_t> rows{1};
  for (std::int64_t i = 0; i < 67; ++i) rows.push_back(i);
  rows.push_back(65);
  std::vector<std::int64_t> cols{2, 1};
  for (std::int64_t i = 0; i < 65; ++i) cols.push_back(i);
  cols.push_back(63);
  std::vector<std::int64_t> planes(40);
  std::iota(planes.begin(), planes.end(), 0);
  const auto out = run_reference(
      OpKind::kPad,
      {runtime_input(iota<std::int64_t>(shape)), constant_input(int64s({0, 1, 2, 0, 1, 1}))},
      {{"mode", std::string("reflect")}});
  EXPECT_EQ(out[0].to_int64_vector(), product_sources(shape, {planes, rows, cols}));
}

TEST(Pad, BadParametersAreErrors) {
  const Tensor x = iota<float>({2, 3});
  expect_node_error([&] { pad(x, {1, 1}, "constant"); }, "must have 2 * 2 entries");
  expect_node_error(
      [&] {
        pad(x, {0, -2, 0, -2}, "constant");
      },
      "crop more than the 3 elements of axis 1");
  expect_node_error(
      [&] {
        pad(Tensor(DType::kFloat32, {0, 2}), {1, 0, 0, 0}, "reflect");
      },
      "no elements to repeat");
  expect_node_error([&] { pad(x, {0, 0, 0, 0}, "wrap"); }, "mode = 'wrap'");
  expect_node_error(
      [&] {
        pad(x, {0, 1, 0, 1}, "constant", make_tensor<std::int64_t>({}, {1}));
      },
      "constant_value must be one float32 element");
}

// ---- Expand ----

Tensor expand(const Tensor& data, std::vector<std::int64_t> shape) {
  return run_reference(OpKind::kExpand,
                       {runtime_input(data), constant_input(int64s(std::move(shape)))})[0];
}

TEST(Expand, BroadcastsBothWays) {
  const Tensor out = expand(make_tensor<float>({3, 1}, {1, 2, 3}), {2, 1, 4});
  ASSERT_EQ(out.shape(), Shape({2, 3, 4}));
  std::vector<float> expected;
  for (int copy = 0; copy < 2; ++copy) {
    for (float v : {1.f, 2.f, 3.f}) expected.insert(expected.end(), 4, v);
  }
  expect_tensor_near(out, make_tensor<float>({2, 3, 4}, expected));
  // A shape of lower rank or with ones keeps the input's dimensions.
  EXPECT_EQ(expand(iota<float>({2, 3}), {3}).shape(), Shape({2, 3}));
  EXPECT_EQ(expand(iota<float>({2, 3}), {1, 1}).shape(), Shape({2, 3}));
  EXPECT_EQ(expand(iota<float>({3, 1}), {1}).shape(), Shape({3, 1}));
  EXPECT_EQ(expand(iota<float>({1}), {2, 0}).shape(), Shape({2, 0}));
  expect_tensor_near(expand(make_tensor<float>({}, {5}), {2, 2}),
                     make_tensor<float>({2, 2}, {5, 5, 5, 5}));
}

TEST(Expand, EveryDType) {
  const Shape shape{1, 3, 1};
  // Right-aligned, the input is [1, 1, 3, 1]: the same elements, one more leading dimension.
  check_movement_all_dtypes(
      OpKind::kExpand, shape, {constant_input(int64s({2, 1, 3, 5}))}, {},
      product_sources({1, 1, 3, 1}, {{0, 0}, {0}, {0, 1, 2}, {0, 0, 0, 0, 0}}));
}

TEST(Expand, IncompatibleShapesAreErrors) {
  expect_node_error(
      [] {
        expand(iota<float>({2, 3}), {4, 3});
      },
      "cannot expand float32[2,3] to shape [4,3]");
  expect_node_error([] { expand(iota<float>({1}), {-1}); }, "cannot expand");
  expect_node_error(
      [] {
        run_reference(OpKind::kExpand,
                      {runtime_input(iota<float>({1})), runtime_input(int64s({3}))});
      },
      "must be a constant");
}

// ---- Tile ----

Tensor tile(const Tensor& data, std::vector<std::int64_t> repeats) {
  return run_reference(OpKind::kTile,
                       {runtime_input(data), constant_input(int64s(std::move(repeats)))})[0];
}

TEST(Tile, ByHand) {
  const Tensor x = make_tensor<float>({2, 2}, {1, 2, 3, 4});
  expect_tensor_near(tile(x, {1, 2}), make_tensor<float>({2, 4}, {1, 2, 1, 2, 3, 4, 3, 4}));
  expect_tensor_near(tile(x, {2, 1}), make_tensor<float>({4, 2}, {1, 2, 3, 4, 1, 2, 3, 4}));
  expect_tensor_near(tile(make_tensor<float>({3}, {1, 2, 3}), {2}),
                     make_tensor<float>({6}, {1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(tile(x, {0, 3}).shape(), Shape({0, 6}));
}

TEST(Tile, EveryDType) {
  const Shape shape{2, 3, 1};
  check_movement_all_dtypes(OpKind::kTile, shape, {constant_input(int64s({2, 1, 3}))}, {},
                            product_sources(shape, {{0, 1, 0, 1}, {0, 1, 2}, {0, 0, 0}}));
}

TEST(Tile, BadRepeatsAreErrors) {
  expect_node_error([] { tile(iota<float>({2, 2}), {2}); }, "one non-negative entry per dimension");
  expect_node_error([] { tile(iota<float>({2, 2}), {2, -1}); }, "one non-negative entry");
}

}  // namespace
}  // namespace kiln::testing
