// The strided copy engine under Transpose, Slice, Expand, Tile, DepthToSpace and SpaceToDepth:
// which loop it plans, and that every loop copies what the definition says, on every element
// size and on one and several threads.

#include "kiln/kernels/reference/tensor_copy.h"

#include "tensor_test_support.h"

namespace kiln::kernels::reference {
namespace {

using Path = StridedCopy::Path;

// dst[i] = src[offset + sum(i[d] * strides[d])], element by element.
template <typename T>
std::vector<T> naive_copy(const std::vector<T>& src, const std::vector<std::int64_t>& dims,
                          const std::vector<std::int64_t>& strides, std::int64_t offset) {
  const Shape shape(dims);
  std::vector<T> out;
  for (std::int64_t j = 0; j < shape.numel(); ++j) {
    const std::vector<std::int64_t> index = testing::unravel(j, shape);
    std::int64_t at = offset;
    for (std::size_t d = 0; d < dims.size(); ++d) at += index[d] * strides[d];
    out.push_back(src[static_cast<std::size_t>(at)]);
  }
  return out;
}

template <typename T>
void expect_copy(const std::vector<std::int64_t>& dims, const std::vector<std::int64_t>& strides,
                 std::int64_t offset, std::int64_t src_size, int threads, Path expected_path) {
  std::vector<T> src(static_cast<std::size_t>(src_size));
  for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<T>(i * 7 + 3);
  const StridedCopy plan(dims, strides, offset, sizeof(T), threads);
  EXPECT_EQ(plan.path(), expected_path);
  const std::vector<T> expected = naive_copy(src, dims, strides, offset);
  std::vector<T> dst(expected.size());
  plan.run(src.data(), dst.data());
  EXPECT_EQ(dst, expected);
}

template <typename T>
void expect_copy_all_threads(const std::vector<std::int64_t>& dims,
                             const std::vector<std::int64_t>& strides, std::int64_t offset,
                             std::int64_t src_size, Path expected_path) {
  for (int threads : {1, 3}) {
    SCOPED_TRACE(threads);
    expect_copy<T>(dims, strides, offset, src_size, threads, expected_path);
  }
}

TEST(StridedCopy, DenseViewIsOneMemcpy) {
  expect_copy_all_threads<float>({3, 1, 5, 7}, {35, 99, 7, 1}, 0, 105, Path::kContiguous);
}

TEST(StridedCopy, InnermostKeptIsRowCopies) {
  // [4, 3, 5] -> transpose (1, 0, 2): rows of 5 stay contiguous.
  expect_copy_all_threads<std::uint16_t>({3, 4, 5}, {5, 15, 1}, 0, 60, Path::kRows);
}

TEST(StridedCopy, ZeroInnerStrideBroadcastsRows) {
  expect_copy_all_threads<std::uint64_t>({4, 6}, {1, 0}, 0, 4, Path::kBroadcastRows);
}

TEST(StridedCopy, SwappedInnerDimensionsUseTiles) {
  // A batch of 2 transposes of 37x21 (odd, not a multiple of the tile).
  expect_copy_all_threads<std::uint8_t>({2, 21, 37}, {777, 1, 21}, 0, 1554, Path::kTranspose2D);
  expect_copy_all_threads<double>({2, 21, 37}, {777, 1, 21}, 0, 1554, Path::kTranspose2D);
}

TEST(StridedCopy, VectorTilesAndTheirEdges) {
  // Two source rows interleaved (pixel shuffle by 2), with an odd tail.
  expect_copy_all_threads<float>({9, 2}, {1, 9}, 0, 18, Path::kTranspose2D);
  // Short rows whose destination is not dense: no interleave shortcut.
  expect_copy_all_threads<std::uint32_t>({7, 3, 2}, {1, 7, 21}, 0, 42, Path::kTranspose2D);
  // 4x4 and 2x2 register blocks with edges on both sides.
  expect_copy_all_threads<float>({35, 22}, {1, 35}, 0, 770, Path::kTranspose2D);
  expect_copy_all_threads<std::int64_t>({35, 23}, {1, 35}, 0, 805, Path::kTranspose2D);
  expect_copy_all_threads<std::uint16_t>({35, 22}, {1, 35}, 0, 770, Path::kTranspose2D);
}

TEST(StridedCopy, StepWithoutUnitStrideIsElementLoop) {
  // Every second element of every third row.
  expect_copy_all_threads<std::int32_t>({4, 5}, {30, 2}, 1, 120, Path::kElements);
}

TEST(StridedCopy, NegativeStridesWalkBackwards) {
  // The reverse of a [3, 4] matrix along both axes: start at the last element.
  expect_copy_all_threads<float>({3, 4}, {-4, -1}, 11, 12, Path::kElements);
}

TEST(StridedCopy, ZeroSizedCopiesNothing) {
  const StridedCopy plan(std::vector<std::int64_t>{3, 0, 2}, std::vector<std::int64_t>{2, 2, 1}, 0,
                         4, 2);
  EXPECT_EQ(plan.path(), Path::kEmpty);
  plan.run(nullptr, nullptr);
}

TEST(StridedCopy, LargeCopiesMatchOnManyThreads) {
  // Each is above the parallel threshold; the result must not depend on the split.
  expect_copy_all_threads<float>({130, 257}, {1, 130}, 0, 130 * 257, Path::kTranspose2D);
  expect_copy_all_threads<float>({64, 3, 300}, {300, 19200, 1}, 0, 64 * 3 * 300, Path::kRows);
  expect_copy_all_threads<std::uint16_t>({200, 300}, {0, 1}, 0, 300, Path::kRows);
  expect_copy_all_threads<std::uint32_t>({300, 200}, {1, 0}, 0, 300, Path::kBroadcastRows);
  expect_copy_all_threads<std::uint32_t>({100, 300}, {601, 2}, 0, 100 * 601, Path::kElements);
}

TEST(ParallelMemcpy, OddSizesOnSeveralThreads) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{63}, std::size_t{65537},
                           std::size_t{1000001}}) {
    std::vector<unsigned char> src(size);
    for (std::size_t i = 0; i < size; ++i) src[i] = static_cast<unsigned char>(i * 13);
    std::vector<unsigned char> dst(size, 0);
    parallel_memcpy(dst.data(), src.data(), size, 3);
    EXPECT_EQ(dst, src) << size;
  }
}

TEST(FillElements, EverySize) {
  for (std::size_t size : {1, 2, 4, 8}) {
    std::vector<unsigned char> value(size);
    for (std::size_t i = 0; i < size; ++i) value[i] = static_cast<unsigned char>(0xa0 + i);
    std::vector<unsigned char> dst(size * 5);
    fill_elements(dst.data(), value.data(), size, 5);
    for (std::size_t i = 0; i < dst.size(); ++i) EXPECT_EQ(dst[i], value[i % size]);
  }
}

}  // namespace
}  // namespace kiln::kernels::reference
