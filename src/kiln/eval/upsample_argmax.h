// Per-pixel class of segmentation logits after bilinear upsampling, bit-exact with PyTorch's CPU
// F.interpolate(mode='bilinear', align_corners=True) followed by argmax over classes.
#pragma once

#include <cstdint>
#include <vector>

namespace kiln::eval {

/// Source indices and weights of one axis of a linear resize with align_corners=True, as
/// PyTorch's CPU kernel computes them: a float scale (in - 1) / (out - 1), the source position
/// scale * i taken exactly (the kernel holds it in double), its floor clamped to in - 1, the
/// fraction rounded to float; lambda0 = 1 - lambda1 in float.
struct LinearAxis {
  std::vector<std::int32_t> index0, index1;
  std::vector<float> lambda0, lambda1;
};
LinearAxis align_corners_axis(int in_size, int out_size);

/// labels[y * out_width + x] = argmax over c of the upsampled logits[c] at (y, x): the first
/// maximum on ties (np.argmax / torch.argmax). `logits` is [classes, height, width] float32;
/// classes <= 256. Each upsampled value is computed as PyTorch does it on AVX2 machines, in
/// float32 with fused multiply-adds: t_row = fma(x[row][i0], w0, x[row][i1] * w1) along the
/// width, then fma(t_top, h0, t_bottom * h1); on CPUs without FMA the same roundings are
/// obtained (slower) through std::fma. `use_simd = false` forces that portable path (tests).
void upsample_argmax_align_corners(const float* logits, int classes, int height, int width,
                                   int out_height, int out_width, std::uint8_t* labels,
                                   bool use_simd = true);

/// The upsampled logits themselves ([classes, out_height, out_width]), for tests.
std::vector<float> upsample_align_corners(const float* logits, int classes, int height, int width,
                                          int out_height, int out_width);

}  // namespace kiln::eval
