// Transpose, DepthToSpace and SpaceToDepth reference kernels.

#include "tensor_test_support.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

// Which input element each output element of a transpose reads, by definition.
std::vector<std::int64_t> transpose_sources(const Shape& in,
                                            const std::vector<std::int64_t>& perm) {
  std::vector<std::int64_t> out_dims;
  for (std::int64_t p : perm) out_dims.push_back(in[static_cast<std::size_t>(p)]);
  const Shape out(out_dims);
  std::vector<std::int64_t> sources;
  for (std::int64_t j = 0; j < out.numel(); ++j) {
    const std::vector<std::int64_t> o = unravel(j, out);
    std::vector<std::int64_t> i(in.rank());
    for (std::size_t k = 0; k < perm.size(); ++k) i[static_cast<std::size_t>(perm[k])] = o[k];
    sources.push_back(ravel(i, in));
  }
  return sources;
}

TEST(Transpose, TwoByThreeByHand) {
  const auto out = run_reference(OpKind::kTranspose,
                                 {runtime_input(make_tensor<float>({2, 3}, {1, 2, 3, 4, 5, 6}))},
                                 {{"perm", std::vector<std::int64_t>{1, 0}}});
  expect_tensor_near(out[0], make_tensor<float>({3, 2}, {1, 4, 2, 5, 3, 6}));
}

TEST(Transpose, DefaultPermReversesDimensions) {
  const auto out =
      run_reference(OpKind::kTranspose, {runtime_input(iota<std::int64_t>({2, 3, 4}))});
  ASSERT_EQ(out[0].shape(), Shape({4, 3, 2}));
  EXPECT_EQ(out[0].to_int64_vector(), transpose_sources({2, 3, 4}, {2, 1, 0}));
  // Spot checks by hand: out[1][2][0] = in[0][2][1] = 9, out[3][0][1] = in[1][0][3] = 15.
  EXPECT_EQ(out[0].to_int64_vector()[1 * 6 + 2 * 2 + 0], 9);
  EXPECT_EQ(out[0].to_int64_vector()[3 * 6 + 0 * 2 + 1], 15);
}

TEST(Transpose, AllDTypesOddSizes) {
  const Shape shape{3, 5, 7};
  for (const std::vector<std::int64_t>& perm :
       std::vector<std::vector<std::int64_t>>{{0, 2, 1}, {1, 0, 2}, {2, 0, 1}, {1, 2, 0}}) {
    SCOPED_TRACE(::testing::PrintToString(perm));
    check_movement_all_dtypes(OpKind::kTranspose, shape, {}, {{"perm", perm}},
                              transpose_sources(shape, perm));
  }
}

TEST(Transpose, PixelShuffleSixDimensions) {
  // PyTorch's pixel_shuffle as exported: [N, C, r, r, H, W] -> [N, C, H, r, W, r].
  const Shape shape{1, 4, 2, 2, 3, 3};
  const std::vector<std::int64_t> perm{0, 1, 4, 2, 5, 3};
  check_movement_all_dtypes(OpKind::kTranspose, shape, {}, {{"perm", perm}},
                            transpose_sources(shape, perm));
  const auto out = run_reference(OpKind::kTranspose, {runtime_input(iota<std::int64_t>(shape))},
                                 {{"perm", perm}});
  ASSERT_EQ(out[0].shape(), Shape({1, 4, 3, 2, 3, 2}));
  // By hand: channel 0's 6x6 image starts with rows (r1 = 0) then (r1 = 1) of pixel row 0:
  // in[0][0][0][r2][0][w] = r2 * 9 + w, in[0][0][1][r2][0][w] = 18 + r2 * 9 + w.
  const std::vector<std::int64_t> values = out[0].to_int64_vector();
  EXPECT_EQ(std::vector<std::int64_t>(values.begin(), values.begin() + 12),
            (std::vector<std::int64_t>{0, 9, 1, 10, 2, 11, 18, 27, 19, 28, 20, 29}));
}

TEST(Transpose, SixDimensionsAllPermutationsOfOddShape) {
  const Shape shape{2, 3, 1, 5, 2, 3};
  std::vector<std::int64_t> perm{0, 1, 2, 3, 4, 5};
  int count = 0;
  do {
    if (++count % 37 != 0) continue;  // a spread-out sample of the 720 permutations
    const auto out = run_reference(OpKind::kTranspose, {runtime_input(iota<std::int64_t>(shape))},
                                   {{"perm", perm}});
    ASSERT_EQ(out[0].to_int64_vector(), transpose_sources(shape, perm))
        << ::testing::PrintToString(perm);
  } while (std::next_permutation(perm.begin(), perm.end()));
}

TEST(Transpose, LargeBatchedTransposeMatchesDefinition) {
  // Big enough to run on several threads and through the blocked 2-D path.
  const Shape shape{3, 67, 129};
  const std::vector<std::int64_t> perm{0, 2, 1};
  const auto out = run_reference(OpKind::kTranspose, {runtime_input(iota<std::int64_t>(shape))},
                                 {{"perm", perm}});
  EXPECT_EQ(out[0].to_int64_vector(), transpose_sources(shape, perm));
}

TEST(Transpose, NegativeOrRepeatedPermIsAnError) {
  const Tensor x = iota<float>({2, 3, 4});
  for (const std::vector<std::int64_t>& perm : std::vector<std::vector<std::int64_t>>{
           {0, 0, 1}, {0, 1}, {0, 3, 1}, {-1, 0, 1}, {0, 1, 2, 3}}) {
    expect_node_error(
        [&] {
          run_reference(OpKind::kTranspose, {runtime_input(x)}, {{"perm", perm}});
        },
        "is not a permutation");
  }
}

TEST(DepthToSpace, DcrModeMatchesOnnxExample) {
  const auto out = run_reference(OpKind::kDepthToSpace, {runtime_input(iota<float>({1, 8, 2, 3}))},
                                 {{"blocksize", std::int64_t{2}}});
  ASSERT_EQ(out[0].shape(), Shape({1, 2, 4, 6}));
  EXPECT_EQ(
      out[0].to_int64_vector(),
      (std::vector<std::int64_t>{0,  12, 1,  13, 2,  14, 24, 36, 25, 37, 26, 38, 3,  15, 4,  16,
                                 5,  17, 27, 39, 28, 40, 29, 41, 6,  18, 7,  19, 8,  20, 30, 42,
                                 31, 43, 32, 44, 9,  21, 10, 22, 11, 23, 33, 45, 34, 46, 35, 47}));
}

TEST(DepthToSpace, CrdModeMatchesOnnxExample) {
  const auto out = run_reference(OpKind::kDepthToSpace, {runtime_input(iota<float>({1, 8, 2, 3}))},
                                 {{"blocksize", std::int64_t{2}}, {"mode", std::string("CRD")}});
  EXPECT_EQ(
      out[0].to_int64_vector(),
      (std::vector<std::int64_t>{0,  6,  1,  7,  2,  8,  12, 18, 13, 19, 14, 20, 3,  9,  4,  10,
                                 5,  11, 15, 21, 16, 22, 17, 23, 24, 30, 25, 31, 26, 32, 36, 42,
                                 37, 43, 38, 44, 27, 33, 28, 34, 29, 35, 39, 45, 40, 46, 41, 47}));
}

TEST(DepthToSpace, CrdEqualsPixelShuffleTransposeOnAllDTypes) {
  const Shape shape{2, 18, 3, 5};  // blocksize 3, two images, odd sizes
  const auto sources = transpose_sources({2, 2, 3, 3, 3, 5}, {0, 1, 4, 2, 5, 3});
  check_movement_all_dtypes(OpKind::kDepthToSpace, shape, {},
                            {{"blocksize", std::int64_t{3}}, {"mode", std::string("CRD")}},
                            sources);
}

TEST(DepthToSpace, BadAttributesAreErrors) {
  const Tensor x = iota<float>({1, 8, 2, 3});
  expect_node_error(
      [&] {
        run_reference(OpKind::kDepthToSpace, {runtime_input(x)}, {{"blocksize", std::int64_t{3}}});
      },
      "do not divide by blocksize^2 = 9");
  expect_node_error(
      [&] {
        run_reference(OpKind::kDepthToSpace, {runtime_input(x)},
                      {{"blocksize", std::int64_t{2}}, {"mode", std::string("XYZ")}});
      },
      "mode = 'XYZ'");
  expect_node_error(
      [&] {
        run_reference(OpKind::kDepthToSpace, {runtime_input(iota<float>({8, 2, 3}))},
                      {{"blocksize", std::int64_t{2}}});
      },
      "must be 4-D");
  expect_node_error(
      [&] {
        run_reference(OpKind::kDepthToSpace, {runtime_input(x)}, {{"blocksize", std::int64_t{0}}});
      },
      "must be positive");
  expect_node_error([&] { run_reference(OpKind::kDepthToSpace, {runtime_input(x)}); },
                    "required attribute 'blocksize'");
}

TEST(SpaceToDepth, ByHand) {
  const auto out = run_reference(OpKind::kSpaceToDepth, {runtime_input(iota<float>({1, 2, 4, 4}))},
                                 {{"blocksize", std::int64_t{2}}});
  ASSERT_EQ(out[0].shape(), Shape({1, 8, 2, 2}));
  EXPECT_EQ(
      out[0].to_int64_vector(),
      (std::vector<std::int64_t>{0, 2, 8,  10, 16, 18, 24, 26, 1, 3, 9,  11, 17, 19, 25, 27,
                                 4, 6, 12, 14, 20, 22, 28, 30, 5, 7, 13, 15, 21, 23, 29, 31}));
}

TEST(SpaceToDepth, InvertsDepthToSpaceDcrOnAllDTypes) {
  const Shape shape{1, 3, 6, 9};
  const auto packed =
      run_reference(OpKind::kSpaceToDepth, {runtime_input(iota<std::int64_t>(shape))},
                    {{"blocksize", std::int64_t{3}}});
  ASSERT_EQ(packed[0].shape(), Shape({1, 27, 2, 3}));
  const auto unpacked = run_reference(OpKind::kDepthToSpace, {runtime_input(packed[0])},
                                      {{"blocksize", std::int64_t{3}}});
  EXPECT_EQ(unpacked[0].to_int64_vector(), iota<std::int64_t>(shape).to_int64_vector());
  check_movement_all_dtypes(OpKind::kSpaceToDepth, shape, {}, {{"blocksize", std::int64_t{3}}},
                            packed[0].to_int64_vector());
}

TEST(SpaceToDepth, IndivisibleSizeIsAnError) {
  expect_node_error(
      [&] {
        run_reference(OpKind::kSpaceToDepth, {runtime_input(iota<float>({1, 1, 4, 5}))},
                      {{"blocksize", std::int64_t{2}}});
      },
      "must be multiples of blocksize 2");
}

}  // namespace
}  // namespace kiln::testing
