// PIL and OpenCV resampling for 8-bit images. Every constant, cast and rounding step follows
// Pillow 9's libImaging/Resample.c and Geometry.c (ImagingScaleAffine for NEAREST) and OpenCV 4's
// imgproc/src/resize.cpp, because the point is equal uint8 output, not just a good resize.

#include "kiln/data/resize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kiln/core/error.h"

namespace kiln::data {

Interpolation parse_interpolation(std::string_view text) {
  if (text == "nearest") return Interpolation::kNearest;
  if (text == "bilinear") return Interpolation::kBilinear;
  if (text == "bicubic") return Interpolation::kBicubic;
  if (text == "cv-linear") return Interpolation::kCvLinear;
  if (text == "cv-cubic") return Interpolation::kCvCubic;
  throw_user_error(
      "unknown interpolation '{}' (expected nearest, bilinear, bicubic (PIL), cv-linear or "
      "cv-cubic (OpenCV))",
      text);
}

std::string_view interpolation_name(Interpolation interpolation) {
  switch (interpolation) {
    case Interpolation::kNearest:
      return "nearest";
    case Interpolation::kBilinear:
      return "bilinear";
    case Interpolation::kBicubic:
      return "bicubic";
    case Interpolation::kCvLinear:
      return "cv-linear";
    case Interpolation::kCvCubic:
      return "cv-cubic";
  }
  return "?";
}

namespace {

// ---------------------------------------------------------------------------------------------
// Pillow: separable convolution with per-output-pixel kernels in 22-bit fixed point.

// 8 bits for the result plus 2 bits of headroom for kernels with negative lobes (Resample.c).
constexpr int kPilPrecisionBits = 32 - 8 - 2;

double pil_bilinear(double x) {
  if (x < 0.0) x = -x;
  if (x < 1.0) return 1.0 - x;
  return 0.0;
}

double pil_bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// The kernels of a range of output pixels along one axis: output i reads `count[i]` inputs from
// `first[i]` with the fixed-point `weights[i * ksize ...]`.
struct PilKernels {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<std::int32_t> weights;
};

// precompute_coeffs + normalize_coeffs_8bpc for outputs [out_begin, out_end).
PilKernels pil_kernels(int in_size, int out_size, int out_begin, int out_end,
                       Interpolation interpolation) {
  const bool bicubic = interpolation == Interpolation::kBicubic;
  const double filter_support = bicubic ? 2.0 : 1.0;
  // Pillow passes the box as floats; (in1 - in0) is a float subtraction, exact here.
  const float in0 = 0.0f;
  const float in1 = static_cast<float>(in_size);
  const double scale = static_cast<double>(in1 - in0) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = filter_support * filterscale;
  PilKernels kernels;
  kernels.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  const int n = out_end - out_begin;
  kernels.first.resize(static_cast<std::size_t>(n));
  kernels.count.resize(static_cast<std::size_t>(n));
  kernels.weights.assign(static_cast<std::size_t>(n) * kernels.ksize, 0);
  std::vector<double> k(static_cast<std::size_t>(kernels.ksize));
  for (int xx = out_begin; xx < out_end; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    for (int x = 0; x < xmax; ++x) {
      const double arg = (x + xmin - center + 0.5) * ss;
      const double w = bicubic ? pil_bicubic(arg) : pil_bilinear(arg);
      k[static_cast<std::size_t>(x)] = w;
      ww += w;
    }
    const std::size_t i = static_cast<std::size_t>(xx - out_begin);
    std::int32_t* fixed = kernels.weights.data() + i * kernels.ksize;
    for (int x = 0; x < xmax; ++x) {
      double w = k[static_cast<std::size_t>(x)];
      if (ww != 0.0) w /= ww;
      fixed[x] = w < 0 ? static_cast<std::int32_t>(-0.5 + w * (1 << kPilPrecisionBits))
                       : static_cast<std::int32_t>(0.5 + w * (1 << kPilPrecisionBits));
    }
    kernels.first[i] = xmin;
    kernels.count[i] = xmax;
  }
  return kernels;
}

inline std::uint8_t pil_clip8(std::int32_t value) {
  const std::int32_t shifted = value >> kPilPrecisionBits;  // arithmetic shift, as Pillow's
  return static_cast<std::uint8_t>(shifted < 0 ? 0 : (shifted > 255 ? 255 : shifted));
}

// Horizontal pass: rows [row_begin, row_end) of src, every output column of `kernels`.
template <int kChannels>
void pil_horizontal(const Image& src, int row_begin, int row_end, const PilKernels& kernels,
                    int channels_runtime, Image& dst) {
  const int channels = kChannels > 0 ? kChannels : channels_runtime;
  const int out_width = static_cast<int>(kernels.first.size());
  constexpr std::int32_t kHalf = 1 << (kPilPrecisionBits - 1);
  std::int32_t sums[4];
  std::vector<std::int32_t> wide_sums(static_cast<std::size_t>(channels));
  std::int32_t* ss = channels <= 4 ? sums : wide_sums.data();
  for (int y = row_begin; y < row_end; ++y) {
    const std::uint8_t* in = src.row(y);
    std::uint8_t* out = dst.row(y - row_begin);
    for (int xx = 0; xx < out_width; ++xx) {
      const std::int32_t* k = kernels.weights.data() + static_cast<std::size_t>(xx) * kernels.ksize;
      const std::uint8_t* p = in + static_cast<std::size_t>(kernels.first[xx]) * channels;
      const int count = kernels.count[xx];
      for (int c = 0; c < channels; ++c) ss[c] = kHalf;
      for (int x = 0; x < count; ++x) {
        for (int c = 0; c < channels; ++c) ss[c] += p[x * channels + c] * k[x];
      }
      for (int c = 0; c < channels; ++c) out[xx * channels + c] = pil_clip8(ss[c]);
    }
  }
}

// Vertical pass: output rows of `kernels`, reading src rows shifted by `row_offset`. Integer
// sums are exact, so accumulating row by row (cache friendly) equals Pillow's per-pixel order.
void pil_vertical(const Image& src, int row_offset, const PilKernels& kernels, Image& dst) {
  const std::size_t row_size = static_cast<std::size_t>(src.width) * src.channels;
  constexpr std::int32_t kHalf = 1 << (kPilPrecisionBits - 1);
  std::vector<std::int32_t> acc(row_size);
  const int out_height = static_cast<int>(kernels.first.size());
  for (int yy = 0; yy < out_height; ++yy) {
    std::fill(acc.begin(), acc.end(), kHalf);
    const std::int32_t* k = kernels.weights.data() + static_cast<std::size_t>(yy) * kernels.ksize;
    for (int y = 0; y < kernels.count[yy]; ++y) {
      const std::uint8_t* in = src.row(kernels.first[yy] + y - row_offset);
      const std::int32_t w = k[y];
      for (std::size_t i = 0; i < row_size; ++i) acc[i] += in[i] * w;
    }
    std::uint8_t* out = dst.row(yy);
    for (std::size_t i = 0; i < row_size; ++i) out[i] = pil_clip8(acc[i]);
  }
}

void run_pil_horizontal(const Image& src, int row_begin, int row_end, const PilKernels& kernels,
                        Image& dst) {
  switch (src.channels) {
    case 1:
      return pil_horizontal<1>(src, row_begin, row_end, kernels, 1, dst);
    case 3:
      return pil_horizontal<3>(src, row_begin, row_end, kernels, 3, dst);
    default:
      return pil_horizontal<0>(src, row_begin, row_end, kernels, src.channels, dst);
  }
}

Image copy_window(const Image& src, const Rect& window) {
  Image out = Image::blank(window.width, window.height, src.channels);
  const std::size_t bytes = static_cast<std::size_t>(window.width) * src.channels;
  for (int y = 0; y < window.height; ++y) {
    std::memcpy(out.row(y),
                src.row(window.y + y) + static_cast<std::size_t>(window.x) * src.channels, bytes);
  }
  return out;
}

// ImagingResampleInner: horizontal pass first (only the source rows the vertical pass reads),
// then vertical; a pass whose size does not change is skipped.
Image pil_resample(const Image& src, int width, int height, Interpolation interpolation,
                   const Rect& window) {
  const bool need_horizontal = width != src.width;
  const bool need_vertical = height != src.height;
  const PilKernels vertical =
      pil_kernels(src.height, height, window.y, window.y + window.height, interpolation);
  Image columns;  // src restricted to the window's columns (resampled if need_horizontal)
  int row_offset = 0;
  if (need_horizontal) {
    const PilKernels horizontal =
        pil_kernels(src.width, width, window.x, window.x + window.width, interpolation);
    int row_begin = window.y;
    int row_end = window.y + window.height;
    if (need_vertical) {
      row_begin = vertical.first.front();
      row_end = vertical.first.back() + vertical.count.back();
    }
    columns = Image::blank(window.width, row_end - row_begin, src.channels);
    run_pil_horizontal(src, row_begin, row_end, horizontal, columns);
    row_offset = row_begin;
  } else {
    columns = copy_window(src, Rect{window.x, 0, window.width, src.height});
  }
  if (!need_vertical) {
    if (row_offset == window.y && columns.height == window.height) return columns;
    return copy_window(columns, Rect{0, window.y - row_offset, window.width, window.height});
  }
  Image out = Image::blank(window.width, window.height, src.channels);
  pil_vertical(columns, row_offset, vertical, out);
  return out;
}

// NEAREST goes through ImagingScaleAffine, which steps the source coordinate by adding the
// scale once per output pixel (accumulated floating point, truncated), not by multiplying.
std::vector<int> pil_nearest_indices(int in_size, int out_size) {
  const double step = static_cast<double>(static_cast<float>(in_size) - 0.0f) / out_size;
  std::vector<int> indices(static_cast<std::size_t>(out_size));
  double position = 0.0 + step * 0.5;
  for (int i = 0; i < out_size; ++i) {
    const int index = position < 0.0 ? -1 : static_cast<int>(position);
    indices[static_cast<std::size_t>(i)] = index;  // always inside [0, in_size) for step > 0
    position += step;
  }
  return indices;
}

Image pil_nearest(const Image& src, int width, int height, const Rect& window) {
  const std::vector<int> xs = pil_nearest_indices(src.width, width);
  const std::vector<int> ys = pil_nearest_indices(src.height, height);
  const int channels = src.channels;
  Image out = Image::blank(window.width, window.height, channels);
  for (int y = 0; y < window.height; ++y) {
    const int sy = ys[static_cast<std::size_t>(window.y + y)];
    if (sy < 0 || sy >= src.height) continue;  // Pillow leaves such rows zero-filled
    const std::uint8_t* in = src.row(sy);
    std::uint8_t* o = out.row(y);
    for (int x = 0; x < window.width; ++x) {
      const int sx = xs[static_cast<std::size_t>(window.x + x)];
      if (sx < 0 || sx >= src.width) continue;
      std::memcpy(o + static_cast<std::size_t>(x) * channels,
                  in + static_cast<std::size_t>(sx) * channels, static_cast<std::size_t>(channels));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// OpenCV: horizontal pass into int rows with 11-bit weights, vertical pass with 11-bit weights,
// rounded back to 8 bits (INTER_RESIZE_COEF_BITS = 11).

constexpr int kCvCoefBits = 11;
constexpr int kCvCoefScale = 1 << kCvCoefBits;
constexpr std::size_t kCvSimdLanes = 8;

inline short cv_round_to_short(float value) {
  // saturate_cast<short>(float): cvRound (round half to even), then saturate.
  const long rounded = std::lrint(value);
  return static_cast<short>(std::clamp<long>(rounded, -32768, 32767));
}

// interpolateCubic, evaluated in float in the same order as OpenCV.
void cv_cubic_coefficients(float x, float* coeffs) {
  const float A = -0.75f;
  coeffs[0] = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
  coeffs[1] = ((A + 2) * x - (A + 3)) * x * x + 1;
  coeffs[2] = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
  coeffs[3] = 1.f - coeffs[0] - coeffs[1] - coeffs[2];
}

// The taps of one output coordinate: source indices (already clamped to the image, which is
// what OpenCV's border handling amounts to) and fixed-point weights.
struct CvTaps {
  int ksize = 0;
  std::vector<int> source;  // [out * ksize + k]
  std::vector<short> weights;
};

// Horizontal (`clamp_linear_weights`) and vertical coefficient tables; OpenCV zeroes the
// fraction at the borders for linear in x only.
CvTaps cv_taps(int in_size, int out_size, Interpolation interpolation, bool horizontal) {
  const bool cubic = interpolation == Interpolation::kCvCubic;
  CvTaps taps;
  taps.ksize = cubic ? 4 : 2;
  const int ksize2 = taps.ksize / 2;
  const double inv_scale = static_cast<double>(out_size) / in_size;
  const double scale = 1. / inv_scale;
  taps.source.resize(static_cast<std::size_t>(out_size) * taps.ksize);
  taps.weights.resize(static_cast<std::size_t>(out_size) * taps.ksize);
  float coeffs[4];
  for (int d = 0; d < out_size; ++d) {
    float f = static_cast<float>((d + 0.5) * scale - 0.5);
    int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    if (horizontal && !cubic) {
      if (s < ksize2 - 1 && s < 0) f = 0, s = 0;
      if (s + ksize2 >= in_size && s >= in_size - 1) f = 0, s = in_size - 1;
    }
    if (cubic) {
      cv_cubic_coefficients(f, coeffs);
    } else {
      coeffs[0] = 1.f - f;
      coeffs[1] = f;
    }
    for (int k = 0; k < taps.ksize; ++k) {
      const int index = std::clamp(s - ksize2 + 1 + k, 0, in_size - 1);
      const std::size_t i = static_cast<std::size_t>(d) * taps.ksize + k;
      taps.source[i] = index;
      taps.weights[i] = cv_round_to_short(coeffs[k] * kCvCoefScale);
    }
  }
  return taps;
}

// One source row through the horizontal taps of the window's columns.
void cv_horizontal_row(const std::uint8_t* in, int channels, const CvTaps& taps, int x_begin,
                       int x_count, std::int32_t* out) {
  for (int x = 0; x < x_count; ++x) {
    const std::size_t base = static_cast<std::size_t>(x_begin + x) * taps.ksize;
    for (int c = 0; c < channels; ++c) {
      std::int32_t sum = 0;
      for (int k = 0; k < taps.ksize; ++k) {
        sum += in[static_cast<std::size_t>(taps.source[base + k]) * channels + c] *
               taps.weights[base + k];
      }
      out[x * channels + c] = sum;
    }
  }
}

inline std::uint8_t cv_saturate_u8(int value) {
  return static_cast<std::uint8_t>(value < 0 ? 0 : (value > 255 ? 255 : value));
}

Image cv_resample(const Image& src, int width, int height, Interpolation interpolation,
                  const Rect& window) {
  const int channels = src.channels;
  // cv::resize turns an exact 2x INTER_LINEAR shrink into INTER_AREA: the rounded mean of each
  // 2x2 block.
  if (interpolation == Interpolation::kCvLinear && src.width == 2 * width &&
      src.height == 2 * height) {
    Image out = Image::blank(window.width, window.height, channels);
    for (int y = 0; y < window.height; ++y) {
      const std::uint8_t* a = src.row(2 * (window.y + y));
      const std::uint8_t* b = src.row(2 * (window.y + y) + 1);
      std::uint8_t* o = out.row(y);
      for (int x = 0; x < window.width; ++x) {
        const std::size_t p = static_cast<std::size_t>(2 * (window.x + x)) * channels;
        for (int c = 0; c < channels; ++c) {
          o[x * channels + c] = static_cast<std::uint8_t>(
              (a[p + c] + a[p + channels + c] + b[p + c] + b[p + channels + c] + 2) >> 2);
        }
      }
    }
    return out;
  }
  const CvTaps horizontal = cv_taps(src.width, width, interpolation, true);
  const CvTaps vertical = cv_taps(src.height, height, interpolation, false);
  // Source rows the window's output rows read, each through the horizontal pass once.
  int row_begin = src.height;
  int row_end = 0;
  for (int y = window.y; y < window.y + window.height; ++y) {
    for (int k = 0; k < vertical.ksize; ++k) {
      const int s = vertical.source[static_cast<std::size_t>(y) * vertical.ksize + k];
      row_begin = std::min(row_begin, s);
      row_end = std::max(row_end, s + 1);
    }
  }
  const std::size_t row_size = static_cast<std::size_t>(window.width) * channels;
  std::vector<std::int32_t> rows(row_size * static_cast<std::size_t>(row_end - row_begin));
  for (int y = row_begin; y < row_end; ++y) {
    cv_horizontal_row(src.row(y), channels, horizontal, window.x, window.width,
                      rows.data() + row_size * static_cast<std::size_t>(y - row_begin));
  }
  Image out = Image::blank(window.width, window.height, channels);
  for (int y = 0; y < window.height; ++y) {
    const std::size_t base = static_cast<std::size_t>(window.y + y) * vertical.ksize;
    const std::int32_t* r[4];
    for (int k = 0; k < vertical.ksize; ++k) {
      r[k] =
          rows.data() + row_size * static_cast<std::size_t>(vertical.source[base + k] - row_begin);
    }
    std::uint8_t* o = out.row(y);
    if (interpolation == Interpolation::kCvLinear) {
      // VResizeLinear<uchar>: weights applied to the sums shifted down by 4, then by 16 and 2.
      const int b0 = vertical.weights[base], b1 = vertical.weights[base + 1];
      for (std::size_t i = 0; i < row_size; ++i) {
        o[i] = static_cast<std::uint8_t>(
            (((b0 * (r[0][i] >> 4)) >> 16) + ((b1 * (r[1][i] >> 4)) >> 16) + 2) >> 2);
      }
    } else {
      // VResizeCubicVec_32s8u: OpenCV's SIMD path (8 int16 lanes in the SSE baseline Debian
      // builds) computes in float, S0 * b0 + (S1 * b1 + (S2 * b2 + S3 * b3)) with weights
      // scaled by 2^-22, rounded half to even; the remaining tail of each row takes the scalar
      // VResizeCubic with FixedPtCast<int, uchar, 22>. The two round differently in rare cases.
      const int b0 = vertical.weights[base], b1 = vertical.weights[base + 1];
      const int b2 = vertical.weights[base + 2], b3 = vertical.weights[base + 3];
      constexpr float kScale = 1.f / (kCvCoefScale * kCvCoefScale);
      const float f0 = b0 * kScale, f1 = b1 * kScale, f2 = b2 * kScale, f3 = b3 * kScale;
      const std::size_t simd_end = row_size / kCvSimdLanes * kCvSimdLanes;
      for (std::size_t i = 0; i < simd_end; ++i) {
        const float inner = static_cast<float>(r[3][i]) * f3;
        const float t2 = static_cast<float>(r[2][i]) * f2 + inner;
        const float t1 = static_cast<float>(r[1][i]) * f1 + t2;
        const float t0 = static_cast<float>(r[0][i]) * f0 + t1;
        o[i] = cv_saturate_u8(static_cast<int>(std::nearbyint(t0)));
      }
      constexpr int kShift = 2 * kCvCoefBits;
      for (std::size_t i = simd_end; i < row_size; ++i) {
        const int sum = r[0][i] * b0 + r[1][i] * b1 + r[2][i] * b2 + r[3][i] * b3;
        o[i] = cv_saturate_u8((sum + (1 << (kShift - 1))) >> kShift);
      }
    }
  }
  return out;
}

}  // namespace

Image resize(const Image& src, int width, int height, Interpolation interpolation,
             std::optional<Rect> window) {
  if (src.empty() || src.width <= 0 || src.height <= 0) {
    throw_user_error("cannot resize an empty image");
  }
  if (width <= 0 || height <= 0) {
    throw_user_error("cannot resize a {}x{} image to {}x{}", src.width, src.height, width, height);
  }
  const Rect area = window.value_or(Rect{0, 0, width, height});
  KILN_CHECK(area.x >= 0 && area.y >= 0 && area.width > 0 && area.height > 0 &&
                 area.x + area.width <= width && area.y + area.height <= height,
             "resize window {}x{}+{}+{} outside the {}x{} output", area.width, area.height, area.x,
             area.y, width, height);
  // Both libraries return a copy when the size does not change.
  if (width == src.width && height == src.height) return copy_window(src, area);
  switch (interpolation) {
    case Interpolation::kNearest:
      return pil_nearest(src, width, height, area);
    case Interpolation::kBilinear:
    case Interpolation::kBicubic:
      return pil_resample(src, width, height, interpolation, area);
    case Interpolation::kCvLinear:
    case Interpolation::kCvCubic:
      return cv_resample(src, width, height, interpolation, area);
  }
  throw_internal_error("unknown interpolation");
}

}  // namespace kiln::data
