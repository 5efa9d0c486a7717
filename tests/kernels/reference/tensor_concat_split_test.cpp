// Concat and Split reference kernels.

#include "tensor_test_support.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

// Concatenation by definition: out[outer][axis offset + j][inner] from each input.
Tensor naive_concat(const std::vector<Tensor>& inputs, std::size_t axis) {
  std::vector<std::int64_t> dims = inputs[0].shape().dims();
  dims[axis] = 0;
  for (const Tensor& t : inputs) dims[axis] += t.shape()[axis];
  Tensor out(inputs[0].dtype(), Shape(dims));
  const std::size_t size = dtype_size(out.dtype());
  std::int64_t offset = 0;
  for (const Tensor& t : inputs) {
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      std::vector<std::int64_t> index = unravel(i, t.shape());
      index[axis] += offset;
      std::memcpy(static_cast<char*>(out.raw()) + ravel(index, out.shape()) * size,
                  static_cast<const char*>(t.raw()) + i * size, size);
    }
    offset += t.shape()[axis];
  }
  return out;
}

void expect_same_bytes(const Tensor& actual, const Tensor& expected) {
  ASSERT_EQ(actual.dtype(), expected.dtype());
  ASSERT_EQ(actual.shape(), expected.shape());
  EXPECT_EQ(std::memcmp(actual.raw(), expected.raw(), expected.size_bytes()), 0);
}

TEST(Concat, ByHandOnAxisOneAndMinusOne) {
  const Tensor a = make_tensor<float>({2, 2}, {1, 2, 3, 4});
  const Tensor b = make_tensor<float>({2, 3}, {5, 6, 7, 8, 9, 10});
  const Tensor c = make_tensor<float>({2, 1}, {11, 12});
  const Tensor expected = make_tensor<float>({2, 6}, {1, 2, 5, 6, 7, 11, 3, 4, 8, 9, 10, 12});
  for (std::int64_t axis : {1, -1}) {
    const auto out = run_reference(
        OpKind::kConcat, {runtime_input(a), runtime_input(b), runtime_input(c)}, {{"axis", axis}});
    expect_tensor_near(out[0], expected);
  }
}

TEST(Concat, AxisZeroSingleInputAndEmptyInput) {
  const auto rows = run_reference(OpKind::kConcat,
                                  {runtime_input(make_tensor<std::int64_t>({1, 2}, {1, 2})),
                                   runtime_input(Tensor(DType::kInt64, {0, 2})),
                                   runtime_input(make_tensor<std::int64_t>({2, 2}, {3, 4, 5, 6}))},
                                  {{"axis", std::int64_t{0}}});
  expect_tensor_near(rows[0], make_tensor<std::int64_t>({3, 2}, {1, 2, 3, 4, 5, 6}));
  const auto single = run_reference(OpKind::kConcat, {runtime_input(iota<float>({3}))},
                                    {{"axis", std::int64_t{0}}});
  expect_tensor_near(single[0], iota<float>({3}));
}

TEST(Concat, EveryDTypeOddSizes) {
  for (DType dtype : kAllDTypes) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    for (std::size_t axis = 0; axis < 3; ++axis) {
      std::vector<Tensor> inputs;
      std::vector<NodeInput> node_inputs;
      for (std::int64_t k = 0; k < 3; ++k) {
        std::vector<std::int64_t> dims{3, 5, 7};
        dims[axis] = 1 + 2 * k;
        inputs.push_back(random_bytes(dtype, Shape(dims), static_cast<std::uint32_t>(k + 1)));
        node_inputs.push_back(runtime_input(inputs.back()));
      }
      const auto out =
          run_reference(OpKind::kConcat, node_inputs, {{"axis", static_cast<std::int64_t>(axis)}});
      expect_same_bytes(out[0], naive_concat(inputs, axis));
    }
  }
}

TEST(Concat, LargeInputsOnSeveralThreads) {
  const std::vector<Tensor> middle = {random_tensor({3, 200, 70}, 1),
                                      random_tensor({3, 101, 70}, 2)};
  expect_same_bytes(
      run_reference(OpKind::kConcat, {runtime_input(middle[0]), runtime_input(middle[1])},
                    {{"axis", std::int64_t{1}}})[0],
      naive_concat(middle, 1));
  const std::vector<Tensor> outer = {random_tensor({300, 100}, 3), random_tensor({201, 100}, 4)};
  expect_same_bytes(
      run_reference(OpKind::kConcat, {runtime_input(outer[0]), runtime_input(outer[1])},
                    {{"axis", std::int64_t{0}}})[0],
      naive_concat(outer, 0));
}

TEST(Concat, MismatchedInputsAreErrors) {
  const Tensor a(DType::kFloat32, {2, 3});
  expect_node_error(
      [&] {
        run_reference(OpKind::kConcat,
                      {runtime_input(a), runtime_input(Tensor(DType::kFloat32, {2, 3, 1}))},
                      {{"axis", std::int64_t{1}}});
      },
      "input 1 is float32[2,3,1] of rank 3, but input 0 is float32[2,3] of rank 2");
  expect_node_error(
      [&] {
        run_reference(OpKind::kConcat,
                      {runtime_input(a), runtime_input(Tensor(DType::kFloat32, {3, 3}))},
                      {{"axis", std::int64_t{1}}});
      },
      "they may differ only on axis 1");
  expect_node_error(
      [&] {
        run_reference(OpKind::kConcat,
                      {runtime_input(a), runtime_input(Tensor(DType::kInt64, {2, 3}))},
                      {{"axis", std::int64_t{0}}});
      },
      "same dtype");
  expect_node_error(
      [&] {
        run_reference(OpKind::kConcat, {runtime_input(a)}, {{"axis", std::int64_t{2}}});
      },
      "axis = 2 is out of range for rank 2");
  expect_node_error([&] { run_reference(OpKind::kConcat, {runtime_input(a)}); },
                    "required attribute 'axis'");
}

std::vector<Tensor> split(const Tensor& input, std::vector<NodeInput> extra,
                          ir::Attributes attributes, std::size_t outputs) {
  std::vector<NodeInput> inputs = {runtime_input(input)};
  inputs.insert(inputs.end(), extra.begin(), extra.end());
  return run_reference(OpKind::kSplit, inputs, std::move(attributes), outputs);
}

TEST(Split, EqualPartsByDefault) {
  const auto out = split(make_tensor<float>({6}, {1, 2, 3, 4, 5, 6}), {}, {}, 3);
  ASSERT_EQ(out.size(), 3u);
  expect_tensor_near(out[0], make_tensor<float>({2}, {1, 2}));
  expect_tensor_near(out[1], make_tensor<float>({2}, {3, 4}));
  expect_tensor_near(out[2], make_tensor<float>({2}, {5, 6}));
}

TEST(Split, UnevenSplitInputOnNegativeAxis) {
  const Tensor x = iota<std::int32_t>({2, 6});
  const auto out = split(x, {constant_input(int64s({2, 3, 1}))}, {{"axis", std::int64_t{-1}}}, 3);
  expect_tensor_near(out[0], make_tensor<std::int32_t>({2, 2}, {0, 1, 6, 7}));
  expect_tensor_near(out[1], make_tensor<std::int32_t>({2, 3}, {2, 3, 4, 8, 9, 10}));
  expect_tensor_near(out[2], make_tensor<std::int32_t>({2, 1}, {5, 11}));
}

TEST(Split, ZeroSizedPart) {
  const auto out = split(iota<float>({3}), {constant_input(int64s({0, 3}))}, {}, 2);
  EXPECT_EQ(out[0].shape(), Shape({0}));
  expect_tensor_near(out[1], iota<float>({3}));
}

TEST(Split, NumOutputsOfOpset18RoundsUp) {
  const auto out = split(iota<float>({5, 2}), {}, {{"num_outputs", std::int64_t{3}}}, 3);
  EXPECT_EQ(out[0].shape(), Shape({2, 2}));
  EXPECT_EQ(out[1].shape(), Shape({2, 2}));
  expect_tensor_near(out[2], make_tensor<float>({1, 2}, {8, 9}));
}

TEST(Split, EveryDTypeAndLargeOnThreads) {
  for (DType dtype : kAllDTypes) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    const Tensor x = random_bytes(dtype, {3, 7, 5}, 9);
    const auto out = split(x, {constant_input(int64s({1, 4, 2}))}, {{"axis", std::int64_t{1}}}, 3);
    // Concatenating the parts must give back the input.
    expect_same_bytes(naive_concat(out, 1), x);
  }
  const Tensor big = random_tensor({2, 300, 150}, 5);
  const auto parts =
      split(big, {constant_input(int64s({100, 199, 1}))}, {{"axis", std::int64_t{1}}}, 3);
  expect_same_bytes(naive_concat(parts, 1), big);
}

TEST(Split, BadSplitsAreErrors) {
  const Tensor x(DType::kFloat32, {2, 5});
  expect_node_error(
      [&] {
        split(x, {}, {{"axis", std::int64_t{1}}}, 2);
      },
      "does not split into 2 equal parts");
  expect_node_error(
      [&] {
        split(x, {constant_input(int64s({2, 2}))}, {{"axis", std::int64_t{1}}}, 2);
      },
      "must be non-negative and sum to 5");
  expect_node_error(
      [&] {
        split(x, {constant_input(int64s({6, -1}))}, {{"axis", std::int64_t{1}}}, 2);
      },
      "must be non-negative and sum to 5");
  expect_node_error(
      [&] {
        split(x, {constant_input(int64s({1, 4}))}, {{"axis", std::int64_t{1}}}, 3);
      },
      "has 2 entries for 3 outputs");
  expect_node_error(
      [&] {
        split(x, {}, {{"num_outputs", std::int64_t{3}}}, 2);
      },
      "num_outputs = 3 but the node has 2 outputs");
  expect_node_error(
      [&] {
        split(x, {}, {{"axis", std::int64_t{2}}}, 1);
      },
      "axis = 2 is out of range");
  expect_node_error(
      [&] {
        split(Tensor(DType::kFloat32, {5}), {}, {{"num_outputs", std::int64_t{4}}}, 4);
      },
      "into 4 chunks of 2");
}

}  // namespace
}  // namespace kiln::testing
