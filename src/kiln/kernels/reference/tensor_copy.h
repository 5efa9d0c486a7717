#pragma once

// Private to the tensor op family: the byte-level copy engines that Transpose, Slice, Expand,
// Tile, DepthToSpace and SpaceToDepth are built on. They move elements by size (1, 2, 4 or 8
// bytes), never by dtype, so every dtype works without per-type code.

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kiln/kernels/kernel.h"

namespace kiln::kernels::reference {

/// The most dimensions a strided copy handles after collapsing (ONNX models stay far below).
inline constexpr std::size_t kMaxCopyRank = 16;

/// Copies smaller than this stay on one thread: waking a team costs more than it saves.
inline constexpr std::size_t kParallelMinBytes = std::size_t{1} << 16;

/// The thread count a kernel uses: options.threads, or OpenMP's default when 0.
int kernel_threads(const KernelOptions& options);

/// memcpy, split over `threads` when large.
void parallel_memcpy(void* dst, const void* src, std::size_t size_bytes, int threads);

/// Calls fn(begin, end) on disjoint ranges covering [0, count): one range per thread when
/// `parallel`, else one range on the calling thread. Ranges are contiguous so a loop can walk
/// its range incrementally (an odometer) instead of dividing per item.
template <typename Fn>
void for_each_range(std::int64_t count, bool parallel, int threads, Fn&& fn) {
  if (!parallel || threads <= 1 || count < 2) {
    if (count > 0) fn(std::int64_t{0}, count);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const std::int64_t team = omp_get_num_threads();
    const std::int64_t id = omp_get_thread_num();
    const std::int64_t begin = count / team * id + std::min(id, count % team);
    const std::int64_t end = begin + count / team + (id < count % team ? 1 : 0);
    if (begin < end) fn(begin, end);
  }
}

/// Fills `count` elements of `element_size` bytes at dst with the element at `value`.
void fill_elements(void* dst, const void* value, std::size_t element_size, std::int64_t count);

/// A copy from a strided view of a source into a dense destination: for every index i of
/// `dims`, dst[i] = src[src_offset + sum(i[d] * src_strides[d])] (strides in elements; zero
/// broadcasts, negative walks backwards). Planned once: dimensions of size one are dropped,
/// dimensions contiguous in both source and destination are merged, and the fastest of a few
/// loops is chosen; run() only executes.
class StridedCopy {
 public:
  /// What the plan reduced to, fastest first.
  enum class Path {
    kEmpty,          ///< nothing to copy
    kContiguous,     ///< one memcpy
    kRows,           ///< rows contiguous in the source: one memcpy per row
    kBroadcastRows,  ///< each row repeats one source element
    kTranspose2D,    ///< the source's contiguous dimension is not the last: cache-blocked tiles
    kElements,       ///< anything else: an element loop with a source stride
  };

  StridedCopy() = default;
  /// A user error when the collapsed rank exceeds kMaxCopyRank.
  StridedCopy(std::span<const std::int64_t> dims, std::span<const std::int64_t> src_strides,
              std::int64_t src_offset, std::size_t element_size, int threads);

  void run(const void* src, void* dst) const;
  Path path() const { return path_; }

 private:
  template <typename T>
  void run_typed(const T* src, T* dst) const;

  Path path_ = Path::kEmpty;
  std::size_t element_size_ = 0;
  int threads_ = 1;
  std::int64_t total_ = 0;
  std::int64_t src_offset_ = 0;
  std::size_t rank_ = 0;
  std::array<std::int64_t, kMaxCopyRank> dims_{};
  std::array<std::int64_t, kMaxCopyRank> src_strides_{};
  std::array<std::int64_t, kMaxCopyRank> dst_strides_{};
  std::size_t transpose_dim_ = 0;  ///< kTranspose2D: the dimension with source stride 1
};

/// Base of the family's kernels: they are all the reference implementation.
class ReferenceKernel : public Kernel {
 public:
  std::string implementation() const override { return "reference"; }
};

/// Copies input 0's bytes to output 0 unchanged: Identity and the reshape-like ops, whose
/// outputs never alias their inputs.
class CopyKernel final : public ReferenceKernel {
 public:
  explicit CopyKernel(int threads) : threads_(threads) {}
  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override;

 private:
  int threads_;
};

/// Runs one StridedCopy from input 0 to output 0: Transpose, Slice, Expand, Tile, ...
class StridedCopyKernel final : public ReferenceKernel {
 public:
  explicit StridedCopyKernel(StridedCopy plan) : plan_(plan) {}
  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    plan_.run(inputs[0].raw(), outputs[0].raw());
  }

 private:
  StridedCopy plan_;
};

}  // namespace kiln::kernels::reference
