// PSNR / SSIM on the Y channel, in float64. SSIM's Gaussian filtering is separable: rows then
// columns, over the valid window positions only.

#include "kiln/eval/psnr_ssim.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kiln/core/error.h"

namespace kiln::eval {

namespace {

double red_weight(LumaWeights weights) {
  return weights == LumaWeights::kRdnReference ? 64.738 : 65.738;
}

double luma(double r, double g, double b, double red) {
  return 16. + (red * r + 129.057 * g + 25.064 * b) / 256.;
}

void check_same_size(const Plane& a, const Plane& b) {
  KILN_CHECK(a.width == b.width && a.height == b.height, "planes {}x{} and {}x{}", a.width,
             a.height, b.width, b.height);
}

// `src` filtered with the 11-tap Gaussian along x then y, valid positions only:
// (height - 10) x (width - 10) values.
std::vector<double> gaussian_valid(const std::vector<double>& src, int height, int width,
                                   const double* taps) {
  const int out_w = width - 10, out_h = height - 10;
  std::vector<double> horizontal(static_cast<std::size_t>(height) * out_w);
  for (int y = 0; y < height; ++y) {
    const double* row = src.data() + static_cast<std::size_t>(y) * width;
    double* dst = horizontal.data() + static_cast<std::size_t>(y) * out_w;
    for (int x = 0; x < out_w; ++x) {
      double sum = 0;
      for (int k = 0; k < 11; ++k) sum += taps[k] * row[x + k];
      dst[x] = sum;
    }
  }
  std::vector<double> out(static_cast<std::size_t>(out_h) * out_w);
  for (int y = 0; y < out_h; ++y) {
    double* dst = out.data() + static_cast<std::size_t>(y) * out_w;
    for (int x = 0; x < out_w; ++x) {
      double sum = 0;
      for (int k = 0; k < 11; ++k) {
        sum += taps[k] * horizontal[static_cast<std::size_t>(y + k) * out_w + x];
      }
      dst[x] = sum;
    }
  }
  return out;
}

}  // namespace

Plane luma_from_unit_chw(const float* chw, int height, int width, LumaWeights weights) {
  const double red = red_weight(weights);
  const std::size_t n = static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
  Plane plane{width, height, std::vector<double>(n)};
  auto denormalize = [](float v) { return std::clamp(static_cast<double>(v) * 255.0, 0.0, 255.0); };
  for (std::size_t i = 0; i < n; ++i) {
    plane.values[i] =
        luma(denormalize(chw[i]), denormalize(chw[n + i]), denormalize(chw[2 * n + i]), red);
  }
  return plane;
}

Plane luma_from_rgb8(const std::uint8_t* hwc, int height, int width, LumaWeights weights) {
  const double red = red_weight(weights);
  const std::size_t n = static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
  Plane plane{width, height, std::vector<double>(n)};
  for (std::size_t i = 0; i < n; ++i) {
    plane.values[i] = luma(hwc[3 * i], hwc[3 * i + 1], hwc[3 * i + 2], red);
  }
  return plane;
}

Plane shave(const Plane& plane, int border) {
  if (border <= 0) return plane;
  KILN_CHECK(2 * border < plane.width && 2 * border < plane.height,
             "shaving {} pixels off a {}x{} plane", border, plane.width, plane.height);
  Plane out{plane.width - 2 * border, plane.height - 2 * border, {}};
  out.values.reserve(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height));
  for (int y = border; y < plane.height - border; ++y) {
    for (int x = border; x < plane.width - border; ++x) out.values.push_back(plane.at(y, x));
  }
  return out;
}

double psnr(const Plane& reference, const Plane& test) {
  check_same_size(reference, test);
  long double sum = 0;
  for (std::size_t i = 0; i < reference.values.size(); ++i) {
    const double d = reference.values[i] - test.values[i];
    sum += static_cast<long double>(d * d);
  }
  const double mse = static_cast<double>(sum / static_cast<long double>(reference.values.size()));
  if (mse == 0) return std::numeric_limits<double>::infinity();
  return 10. * std::log10((255.0 * 255.0) / mse);
}

double ssim(const Plane& reference, const Plane& test) {
  check_same_size(reference, test);
  const int h = reference.height, w = reference.width;
  if (h < 11 || w < 11) {
    throw_user_error("SSIM needs at least 11x11 pixels after shaving, the image is {}x{}", w, h);
  }
  double taps[11];
  double total = 0;
  for (int k = 0; k < 11; ++k) total += taps[k] = std::exp(-0.5 * (k - 5) * (k - 5) / (1.5 * 1.5));
  for (double& t : taps) t /= total;

  const std::vector<double>& x = reference.values;
  const std::vector<double>& y = test.values;
  std::vector<double> xx(x.size()), yy(x.size()), xy(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    xx[i] = x[i] * x[i];
    yy[i] = y[i] * y[i];
    xy[i] = x[i] * y[i];
  }
  const std::vector<double> ux = gaussian_valid(x, h, w, taps);
  const std::vector<double> uy = gaussian_valid(y, h, w, taps);
  const std::vector<double> uxx = gaussian_valid(xx, h, w, taps);
  const std::vector<double> uyy = gaussian_valid(yy, h, w, taps);
  const std::vector<double> uxy = gaussian_valid(xy, h, w, taps);
  const double c1 = (0.01 * 255) * (0.01 * 255);
  const double c2 = (0.03 * 255) * (0.03 * 255);
  long double sum = 0;
  for (std::size_t i = 0; i < ux.size(); ++i) {
    const double vx = uxx[i] - ux[i] * ux[i];
    const double vy = uyy[i] - uy[i] * uy[i];
    const double vxy = uxy[i] - ux[i] * uy[i];
    const double a1 = 2 * ux[i] * uy[i] + c1, a2 = 2 * vxy + c2;
    const double b1 = ux[i] * ux[i] + uy[i] * uy[i] + c1, b2 = vx + vy + c2;
    sum += (a1 * a2) / (b1 * b2);
  }
  return static_cast<double>(sum / static_cast<long double>(ux.size()));
}

}  // namespace kiln::eval
