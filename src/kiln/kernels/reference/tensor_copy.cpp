#include "kiln/kernels/reference/tensor_copy.h"

#include <cstring>
#include <vector>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace kiln::kernels::reference {

namespace {

// kTranspose2D copies tiles of kTile x kTile elements: the 16 source rows and 16 destination
// rows of a tile stay in L1 for every element size.
constexpr std::int64_t kTile = 16;
constexpr std::int64_t kTileElements = kTile * kTile;

// One tile of a 2-D transpose: dst[ib * dst_stride + ia] = src[ia * src_stride + ib] for
// ia < count_a, ib < count_b. Four-byte elements go through 4x4 SSE register transposes and
// eight-byte ones through 2x2 (moves and shuffles never change the bits, so this is exact for
// every dtype); the edges and other sizes are copied one element at a time.
template <typename T>
void transpose_tile(const T* src, std::int64_t src_stride, T* dst, std::int64_t dst_stride,
                    std::int64_t count_a, std::int64_t count_b) {
  std::int64_t done_a = 0;  // columns [0, done_a) of every row are copied by the vector loop
  std::int64_t done_b = 0;
#if defined(__SSE2__)
  if constexpr (sizeof(T) == 4) {
    if (count_a == 2 && dst_stride == 2) {
      // Interleaving two rows (pixel shuffle by 2): the destination is one dense run.
      done_a = 2;
      done_b = count_b / 4 * 4;
      for (std::int64_t ib = 0; ib < done_b; ib += 4) {
        const __m128 r0 = _mm_loadu_ps(reinterpret_cast<const float*>(src + ib));
        const __m128 r1 = _mm_loadu_ps(reinterpret_cast<const float*>(src + src_stride + ib));
        _mm_storeu_ps(reinterpret_cast<float*>(dst + 2 * ib), _mm_unpacklo_ps(r0, r1));
        _mm_storeu_ps(reinterpret_cast<float*>(dst + 2 * ib + 4), _mm_unpackhi_ps(r0, r1));
      }
    } else {
      done_a = count_a / 4 * 4;
      done_b = count_b / 4 * 4;
      for (std::int64_t ib = 0; ib < done_b; ib += 4) {
        for (std::int64_t ia = 0; ia < done_a; ia += 4) {
          const T* s = src + ia * src_stride + ib;
          __m128 r0 = _mm_loadu_ps(reinterpret_cast<const float*>(s));
          __m128 r1 = _mm_loadu_ps(reinterpret_cast<const float*>(s + src_stride));
          __m128 r2 = _mm_loadu_ps(reinterpret_cast<const float*>(s + 2 * src_stride));
          __m128 r3 = _mm_loadu_ps(reinterpret_cast<const float*>(s + 3 * src_stride));
          _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
          T* d = dst + ib * dst_stride + ia;
          _mm_storeu_ps(reinterpret_cast<float*>(d), r0);
          _mm_storeu_ps(reinterpret_cast<float*>(d + dst_stride), r1);
          _mm_storeu_ps(reinterpret_cast<float*>(d + 2 * dst_stride), r2);
          _mm_storeu_ps(reinterpret_cast<float*>(d + 3 * dst_stride), r3);
        }
      }
    }
  } else if constexpr (sizeof(T) == 8) {
    done_a = count_a / 2 * 2;
    done_b = count_b / 2 * 2;
    for (std::int64_t ib = 0; ib < done_b; ib += 2) {
      for (std::int64_t ia = 0; ia < done_a; ia += 2) {
        const T* s = src + ia * src_stride + ib;
        const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
        const __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + src_stride));
        T* d = dst + ib * dst_stride + ia;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d), _mm_unpacklo_epi64(r0, r1));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d + dst_stride), _mm_unpackhi_epi64(r0, r1));
      }
    }
  }
#endif
  for (std::int64_t ib = 0; ib < count_b; ++ib) {
    const std::int64_t first_a = ib < done_b ? done_a : 0;
    const T* s = src + ib;
    T* d = dst + ib * dst_stride;
    for (std::int64_t ia = first_a; ia < count_a; ++ia) d[ia] = s[ia * src_stride];
  }
}

// The dimensions a copy loop iterates around its innermost work, with source and destination
// strides, walked as an odometer so a thread divides only once, at the start of its range.
struct OuterDims {
  std::size_t rank = 0;
  std::array<std::int64_t, kMaxCopyRank> dims{};
  std::array<std::int64_t, kMaxCopyRank> src_strides{};
  std::array<std::int64_t, kMaxCopyRank> dst_strides{};

  void add(std::int64_t dim, std::int64_t src_stride, std::int64_t dst_stride) {
    dims[rank] = dim;
    src_strides[rank] = src_stride;
    dst_strides[rank] = dst_stride;
    ++rank;
  }
  std::int64_t count() const {
    std::int64_t n = 1;
    for (std::size_t d = 0; d < rank; ++d) n *= dims[d];
    return n;
  }
};

class Odometer {
 public:
  Odometer(const OuterDims& outer, std::int64_t linear) : outer_(outer) {
    for (std::size_t d = outer.rank; d-- > 0;) {
      index_[d] = linear % outer.dims[d];
      linear /= outer.dims[d];
      src_ += index_[d] * outer.src_strides[d];
      dst_ += index_[d] * outer.dst_strides[d];
    }
  }

  std::int64_t src() const { return src_; }
  std::int64_t dst() const { return dst_; }

  void next() {
    for (std::size_t d = outer_.rank; d-- > 0;) {
      src_ += outer_.src_strides[d];
      dst_ += outer_.dst_strides[d];
      if (++index_[d] < outer_.dims[d]) return;
      src_ -= outer_.src_strides[d] * outer_.dims[d];
      dst_ -= outer_.dst_strides[d] * outer_.dims[d];
      index_[d] = 0;
    }
  }

 private:
  const OuterDims& outer_;
  std::array<std::int64_t, kMaxCopyRank> index_{};
  std::int64_t src_ = 0;
  std::int64_t dst_ = 0;
};

template <typename T>
void fill_typed(void* dst, const void* value, std::int64_t count) {
  T v;
  std::memcpy(&v, value, sizeof(T));
  std::fill_n(static_cast<T*>(dst), count, v);
}

}  // namespace

int kernel_threads(const KernelOptions& options) {
  return options.threads > 0 ? options.threads : omp_get_max_threads();
}

void parallel_memcpy(void* dst, const void* src, std::size_t size_bytes, int threads) {
  if (size_bytes == 0) return;
  const bool parallel = threads > 1 && size_bytes >= kParallelMinBytes;
  // Chunks of whole cache lines, so no two threads write the same line.
  constexpr std::int64_t kChunk = 64;
  const std::int64_t chunks = static_cast<std::int64_t>((size_bytes + kChunk - 1) / kChunk);
  for_each_range(chunks, parallel, threads, [&](std::int64_t begin, std::int64_t end) {
    const std::size_t from = static_cast<std::size_t>(begin * kChunk);
    const std::size_t to = std::min(size_bytes, static_cast<std::size_t>(end * kChunk));
    std::memcpy(static_cast<char*>(dst) + from, static_cast<const char*>(src) + from, to - from);
  });
}

void fill_elements(void* dst, const void* value, std::size_t element_size, std::int64_t count) {
  switch (element_size) {
    case 1:
      return fill_typed<std::uint8_t>(dst, value, count);
    case 2:
      return fill_typed<std::uint16_t>(dst, value, count);
    case 4:
      return fill_typed<std::uint32_t>(dst, value, count);
    case 8:
      return fill_typed<std::uint64_t>(dst, value, count);
    default:
      throw_internal_error("fill of {}-byte elements", element_size);
  }
}

void CopyKernel::run(std::span<const Tensor> inputs, std::span<Tensor> outputs) {
  KILN_CHECK(inputs[0].size_bytes() == outputs[0].size_bytes(), "copy of {} into {}",
             inputs[0].description(), outputs[0].description());
  parallel_memcpy(outputs[0].raw(), inputs[0].raw(), outputs[0].size_bytes(), threads_);
}

StridedCopy::StridedCopy(std::span<const std::int64_t> dims,
                         std::span<const std::int64_t> src_strides, std::int64_t src_offset,
                         std::size_t element_size, int threads)
    : element_size_(element_size), threads_(threads), src_offset_(src_offset) {
  KILN_CHECK(dims.size() == src_strides.size(), "{} dims, {} strides", dims.size(),
             src_strides.size());
  KILN_CHECK(element_size == 1 || element_size == 2 || element_size == 4 || element_size == 8,
             "element size {}", element_size);
  total_ = 1;
  for (std::int64_t d : dims) total_ *= d;
  if (total_ == 0) {
    path_ = Path::kEmpty;
    return;
  }
  // Size-one dimensions move nothing; a dimension whose source stride equals the next one's
  // extent continues it in memory, so the two are one longer dimension.
  std::vector<std::int64_t> merged_dims;
  std::vector<std::int64_t> merged_strides;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 1) continue;
    if (!merged_dims.empty() && merged_strides.back() == src_strides[i] * dims[i]) {
      merged_dims.back() *= dims[i];
      merged_strides.back() = src_strides[i];
    } else {
      merged_dims.push_back(dims[i]);
      merged_strides.push_back(src_strides[i]);
    }
  }
  if (merged_dims.empty()) {  // a single element
    merged_dims.push_back(1);
    merged_strides.push_back(1);
  }
  if (merged_dims.size() > kMaxCopyRank) {
    throw_user_error("a copy over {} non-contiguous dimensions exceeds kiln's limit of {}",
                     merged_dims.size(), kMaxCopyRank);
  }
  rank_ = merged_dims.size();
  std::int64_t dst_stride = 1;
  for (std::size_t i = rank_; i-- > 0;) {
    dims_[i] = merged_dims[i];
    src_strides_[i] = merged_strides[i];
    dst_strides_[i] = dst_stride;
    dst_stride *= dims_[i];
  }
  const std::int64_t last_stride = src_strides_[rank_ - 1];
  if (rank_ == 1 && last_stride == 1) {
    path_ = Path::kContiguous;
  } else if (last_stride == 1) {
    path_ = Path::kRows;
  } else if (last_stride == 0) {
    path_ = Path::kBroadcastRows;
  } else {
    path_ = Path::kElements;
    for (std::size_t i = rank_ - 1; i-- > 0;) {
      if (src_strides_[i] == 1) {
        path_ = Path::kTranspose2D;
        transpose_dim_ = i;
        break;
      }
    }
  }
}

void StridedCopy::run(const void* src, void* dst) const {
  switch (element_size_) {
    case 1:
      return run_typed(static_cast<const std::uint8_t*>(src), static_cast<std::uint8_t*>(dst));
    case 2:
      return run_typed(static_cast<const std::uint16_t*>(src), static_cast<std::uint16_t*>(dst));
    case 4:
      return run_typed(static_cast<const std::uint32_t*>(src), static_cast<std::uint32_t*>(dst));
    case 8:
      return run_typed(static_cast<const std::uint64_t*>(src), static_cast<std::uint64_t*>(dst));
    default:
      return;  // a default-constructed plan copies nothing
  }
}

template <typename T>
void StridedCopy::run_typed(const T* src, T* dst) const {
  if (path_ == Path::kEmpty) return;
  src += src_offset_;
  const bool parallel =
      threads_ > 1 && static_cast<std::size_t>(total_) * sizeof(T) >= kParallelMinBytes;
  const std::size_t last = rank_ - 1;
  switch (path_) {
    case Path::kEmpty:
      return;
    case Path::kContiguous:
      parallel_memcpy(dst, src, static_cast<std::size_t>(total_) * sizeof(T),
                      parallel ? threads_ : 1);
      return;
    case Path::kRows:
    case Path::kBroadcastRows:
    case Path::kElements: {
      OuterDims outer;
      for (std::size_t d = 0; d < last; ++d) outer.add(dims_[d], src_strides_[d], dst_strides_[d]);
      const std::int64_t row = dims_[last];
      const std::int64_t step = src_strides_[last];
      const Path path = path_;
      for_each_range(outer.count(), parallel, threads_, [&](std::int64_t begin, std::int64_t end) {
        Odometer position(outer, begin);
        for (std::int64_t r = begin; r < end; ++r, position.next()) {
          const T* s = src + position.src();
          T* d = dst + r * row;
          if (path == Path::kRows) {
            std::memcpy(d, s, static_cast<std::size_t>(row) * sizeof(T));
          } else if (path == Path::kBroadcastRows) {
            std::fill_n(d, row, *s);
          } else {
            for (std::int64_t i = 0; i < row; ++i) d[i] = s[i * step];
          }
        }
      });
      return;
    }
    case Path::kTranspose2D: {
      // A batch of 2-D transposes: dimension `b` is contiguous in the source, the last
      // dimension `a` contiguous in the destination. Tiles keep both sides in cache.
      const std::size_t b = transpose_dim_;
      OuterDims outer;
      for (std::size_t d = 0; d < last; ++d) {
        if (d != b) outer.add(dims_[d], src_strides_[d], dst_strides_[d]);
      }
      const std::int64_t size_a = dims_[last];
      const std::int64_t src_stride_a = src_strides_[last];
      const std::int64_t size_b = dims_[b];
      const std::int64_t dst_stride_b = dst_strides_[b];
      // Tiles of about kTileElements: kTile on each side, or longer along b when a is short
      // (pixel shuffle interleaves rows: a = 2 or 3).
      const std::int64_t tile_a = std::min(size_a, kTile);
      const std::int64_t tile_b = std::max(kTile, kTileElements / tile_a / 4 * 4);
      const std::int64_t tiles_b = (size_b + tile_b - 1) / tile_b;
      for_each_range(
          outer.count() * tiles_b, parallel, threads_, [&](std::int64_t begin, std::int64_t end) {
            Odometer position(outer, begin / tiles_b);
            std::int64_t tile = begin % tiles_b;
            for (std::int64_t task = begin; task < end; ++task) {
              const std::int64_t b0 = tile * tile_b;
              const std::int64_t b_count = std::min(tile_b, size_b - b0);
              const T* src_block = src + position.src() + b0;
              T* dst_block = dst + position.dst() + b0 * dst_stride_b;
              for (std::int64_t a0 = 0; a0 < size_a; a0 += tile_a) {
                transpose_tile(src_block + a0 * src_stride_a, src_stride_a, dst_block + a0,
                               dst_stride_b, std::min(tile_a, size_a - a0), b_count);
              }
              if (++tile == tiles_b) {
                tile = 0;
                position.next();
              }
            }
          });
      return;
    }
  }
}

}  // namespace kiln::kernels::reference
