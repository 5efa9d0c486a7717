// Bilinear upsampling + argmax of segmentation logits without materialising the upsampled
// tensor: each input row is interpolated along the width once per class, then every output row
// blends two of those rows and keeps a running maximum. A 19 x 65 x 129 -> 1024 x 2048 image
// costs ~40 M fused multiply-adds, vectorised (AVX2 + FMA when the CPU has them).

#include "kiln/eval/upsample_argmax.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kiln/core/error.h"

namespace kiln::eval {

LinearAxis align_corners_axis(int in_size, int out_size) {
  KILN_CHECK(in_size > 0 && out_size > 0, "resize {} -> {}", in_size, out_size);
  LinearAxis axis;
  const auto n = static_cast<std::size_t>(out_size);
  axis.index0.resize(n);
  axis.index1.resize(n);
  axis.lambda0.resize(n);
  axis.lambda1.resize(n);
  if (in_size == out_size) {  // PyTorch copies
    for (int i = 0; i < out_size; ++i) {
      axis.index0[static_cast<std::size_t>(i)] = axis.index1[static_cast<std::size_t>(i)] = i;
      axis.lambda0[static_cast<std::size_t>(i)] = 1.f;
      axis.lambda1[static_cast<std::size_t>(i)] = 0.f;
    }
    return axis;
  }
  const float scale =
      out_size > 1 ? static_cast<float>(in_size - 1) / static_cast<float>(out_size - 1) : 0.f;
  for (int i = 0; i < out_size; ++i) {
    const double real = static_cast<double>(scale) * i;  // exact: 24-bit scale times a small int
    const int i0 = std::min(static_cast<int>(std::floor(real)), in_size - 1);
    const float l1 = static_cast<float>(std::clamp(real - i0, 0.0, 1.0));
    const auto at = static_cast<std::size_t>(i);
    axis.index0[at] = i0;
    axis.index1[at] = i0 + (i0 < in_size - 1 ? 1 : 0);
    axis.lambda1[at] = l1;
    axis.lambda0[at] = 1.f - l1;
  }
  return axis;
}

namespace {

// Argmax over classes of one output row: value = fma(top, h0, bottom * h1) per class, the first
// maximum kept (strict >, as np.argmax). Portable version.
void argmax_row_portable(const float* top, const float* bottom, float h0, float h1, int classes,
                         std::size_t width, std::size_t stride, std::uint8_t* out) {
  for (std::size_t x = 0; x < width; ++x) {
    float best = std::fma(top[x], h0, bottom[x] * h1);
    int best_class = 0;
    for (int c = 1; c < classes; ++c) {
      const std::size_t at = static_cast<std::size_t>(c) * stride + x;
      const float v = std::fma(top[at], h0, bottom[at] * h1);
      if (v > best) {
        best = v;
        best_class = c;
      }
    }
    out[x] = static_cast<std::uint8_t>(best_class);
  }
}

// The same with AVX2: 16 pixels at a time, running maximum and class index in registers while
// the classes stream by.
__attribute__((target("avx2,fma"))) void argmax_row_avx2(const float* top, const float* bottom,
                                                         float h0, float h1, int classes,
                                                         std::size_t width, std::size_t stride,
                                                         std::uint8_t* out) {
  const __m256 w0 = _mm256_set1_ps(h0), w1 = _mm256_set1_ps(h1);
  std::size_t x0 = 0;
  for (; x0 + 16 <= width; x0 += 16) {
    __m256 best_a = _mm256_fmadd_ps(_mm256_loadu_ps(top + x0), w0,
                                    _mm256_mul_ps(_mm256_loadu_ps(bottom + x0), w1));
    __m256 best_b = _mm256_fmadd_ps(_mm256_loadu_ps(top + x0 + 8), w0,
                                    _mm256_mul_ps(_mm256_loadu_ps(bottom + x0 + 8), w1));
    __m256 class_a = _mm256_setzero_ps(), class_b = _mm256_setzero_ps();  // int32 bits
    for (int c = 1; c < classes; ++c) {
      const float* t = top + static_cast<std::size_t>(c) * stride + x0;
      const float* b = bottom + static_cast<std::size_t>(c) * stride + x0;
      const __m256 id = _mm256_castsi256_ps(_mm256_set1_epi32(c));
      const __m256 va =
          _mm256_fmadd_ps(_mm256_loadu_ps(t), w0, _mm256_mul_ps(_mm256_loadu_ps(b), w1));
      const __m256 vb =
          _mm256_fmadd_ps(_mm256_loadu_ps(t + 8), w0, _mm256_mul_ps(_mm256_loadu_ps(b + 8), w1));
      const __m256 greater_a = _mm256_cmp_ps(va, best_a, _CMP_GT_OQ);
      const __m256 greater_b = _mm256_cmp_ps(vb, best_b, _CMP_GT_OQ);
      best_a = _mm256_blendv_ps(best_a, va, greater_a);
      best_b = _mm256_blendv_ps(best_b, vb, greater_b);
      class_a = _mm256_blendv_ps(class_a, id, greater_a);
      class_b = _mm256_blendv_ps(class_b, id, greater_b);
    }
    // int32 -> uint8: pack to 16 bits, then to 8 bits, fixing AVX2's lane interleaving.
    const __m256i words =
        _mm256_packus_epi32(_mm256_castps_si256(class_a), _mm256_castps_si256(class_b));
    const __m256i ordered = _mm256_permute4x64_epi64(words, 0xD8);
    const __m128i bytes =
        _mm_packus_epi16(_mm256_castsi256_si128(ordered), _mm256_extracti128_si256(ordered, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + x0), bytes);
  }
  // The last pixels one at a time (std::fma rounds the same in software and in hardware).
  argmax_row_portable(top + x0, bottom + x0, h0, h1, classes, width - x0, stride, out + x0);
}

// The whole image, inlined into two functions: one compiled for AVX2+FMA (std::fma becomes one
// instruction), one for the baseline (std::fma is glibc's correctly rounded software fma, giving
// the same roundings).
template <bool kAvx2>
[[gnu::always_inline]] inline void upsample_argmax_kernel(const float* logits, int classes,
                                                          int height, int width, int out_height,
                                                          int out_width, const LinearAxis& ha,
                                                          const LinearAxis& wa,
                                                          std::uint8_t* labels) {
  const std::size_t W = static_cast<std::size_t>(out_width);
  const std::size_t plane = static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
  // rows[(h * classes + c) * S + x]: input row h of class c interpolated along the width. The
  // stride S is W plus one cache line, so that the classes of one pixel block do not all fall
  // into the same L1 set (W = 2048 floats is an 8 KiB stride).
  const std::size_t S = W + 16;
  std::vector<float> rows(static_cast<std::size_t>(height) * classes * S);
  for (int h = 0; h < height; ++h) {
    for (int c = 0; c < classes; ++c) {
      const float* src = logits + static_cast<std::size_t>(c) * plane +
                         static_cast<std::size_t>(h) * static_cast<std::size_t>(width);
      float* dst = rows.data() + (static_cast<std::size_t>(h) * classes + c) * S;
      for (std::size_t x = 0; x < W; ++x) {
        dst[x] = std::fma(src[wa.index0[x]], wa.lambda0[x], src[wa.index1[x]] * wa.lambda1[x]);
      }
    }
  }
  for (int y = 0; y < out_height; ++y) {
    const auto yy = static_cast<std::size_t>(y);
    const float* top = rows.data() + static_cast<std::size_t>(ha.index0[yy]) * classes * S;
    const float* bottom = rows.data() + static_cast<std::size_t>(ha.index1[yy]) * classes * S;
    if constexpr (kAvx2) {
      argmax_row_avx2(top, bottom, ha.lambda0[yy], ha.lambda1[yy], classes, W, S, labels + yy * W);
    } else {
      argmax_row_portable(top, bottom, ha.lambda0[yy], ha.lambda1[yy], classes, W, S,
                          labels + yy * W);
    }
  }
}

__attribute__((target("avx2,fma"))) void upsample_argmax_fma(const float* logits, int classes,
                                                             int height, int width, int out_height,
                                                             int out_width, const LinearAxis& ha,
                                                             const LinearAxis& wa,
                                                             std::uint8_t* labels) {
  upsample_argmax_kernel<true>(logits, classes, height, width, out_height, out_width, ha, wa,
                               labels);
}

void upsample_argmax_portable(const float* logits, int classes, int height, int width,
                              int out_height, int out_width, const LinearAxis& ha,
                              const LinearAxis& wa, std::uint8_t* labels) {
  upsample_argmax_kernel<false>(logits, classes, height, width, out_height, out_width, ha, wa,
                                labels);
}

bool cpu_has_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

}  // namespace

void upsample_argmax_align_corners(const float* logits, int classes, int height, int width,
                                   int out_height, int out_width, std::uint8_t* labels,
                                   bool use_simd) {
  KILN_CHECK(classes >= 1 && classes <= 256, "{} classes do not fit 8-bit labels", classes);
  const LinearAxis ha = align_corners_axis(height, out_height);
  const LinearAxis wa = align_corners_axis(width, out_width);
  if (use_simd && cpu_has_fma()) {
    upsample_argmax_fma(logits, classes, height, width, out_height, out_width, ha, wa, labels);
  } else {
    upsample_argmax_portable(logits, classes, height, width, out_height, out_width, ha, wa, labels);
  }
}

std::vector<float> upsample_align_corners(const float* logits, int classes, int height, int width,
                                          int out_height, int out_width) {
  const LinearAxis ha = align_corners_axis(height, out_height);
  const LinearAxis wa = align_corners_axis(width, out_width);
  const std::size_t plane = static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
  const std::size_t out_plane =
      static_cast<std::size_t>(out_height) * static_cast<std::size_t>(out_width);
  std::vector<float> out(static_cast<std::size_t>(classes) * out_plane);
  for (int c = 0; c < classes; ++c) {
    const float* src = logits + static_cast<std::size_t>(c) * plane;
    for (int y = 0; y < out_height; ++y) {
      const auto yy = static_cast<std::size_t>(y);
      const float* r0 = src + static_cast<std::size_t>(ha.index0[yy]) * width;
      const float* r1 = src + static_cast<std::size_t>(ha.index1[yy]) * width;
      for (int x = 0; x < out_width; ++x) {
        const auto xx = static_cast<std::size_t>(x);
        const float t0 =
            std::fma(r0[wa.index0[xx]], wa.lambda0[xx], r0[wa.index1[xx]] * wa.lambda1[xx]);
        const float t1 =
            std::fma(r1[wa.index0[xx]], wa.lambda0[xx], r1[wa.index1[xx]] * wa.lambda1[xx]);
        out[static_cast<std::size_t>(c) * out_plane + yy * out_width + xx] =
            std::fma(t0, ha.lambda0[yy], t1 * ha.lambda1[yy]);
      }
    }
  }
  return out;
}

}  // namespace kiln::eval
