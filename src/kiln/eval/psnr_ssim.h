// PSNR and SSIM of super-resolution output on the luma (Y) channel, as RDN's reference computes
// PSNR (yjn870/RDN-pytorch utils, used by the seed's RDN_postprocess.py).
#pragma once

#include <cstdint>
#include <vector>

namespace kiln::eval {

/// Red weight of Y = 16 + (r R + 129.057 G + 25.064 B) / 256 on [0, 255] RGB. RDN's reference
/// writes 64.738 (yjn870's convert_rgb_to_y); ITU-R BT.601 (MATLAB rgb2ycbcr) has 65.738.
enum class LumaWeights { kRdnReference, kBt601 };

/// A plane of float64 samples, row-major.
struct Plane {
  int width = 0, height = 0;
  std::vector<double> values;
  double at(int y, int x) const {
    return values[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                  static_cast<std::size_t>(x)];
  }
};

/// Y of a planar RGB model output [3, height, width] in [0, 1]: each channel * 255, clamped to
/// [0, 255] (RDN's denormalize), then the weights above.
Plane luma_from_unit_chw(const float* chw, int height, int width, LumaWeights weights);

/// Y of an 8-bit interleaved RGB image (height * width * 3 bytes).
Plane luma_from_rgb8(const std::uint8_t* hwc, int height, int width, LumaWeights weights);

/// The plane without `border` pixels on each side (y[b:-b, b:-b]); border 0 keeps it whole.
Plane shave(const Plane& plane, int border);

/// 10 log10(255^2 / MSE); +inf for identical planes. Same size required.
double psnr(const Plane& reference, const Plane& test);

/// Mean SSIM (Wang et al. 2004): 11 x 11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03,
/// dynamic range 255, population (not sample) covariances, averaged over the window positions
/// inside the image (skimage's structural_similarity(gaussian_weights=True, sigma=1.5,
/// use_sample_covariance=False, data_range=255)). Planes smaller than 11 x 11 are a user error.
double ssim(const Plane& reference, const Plane& test);

}  // namespace kiln::eval
