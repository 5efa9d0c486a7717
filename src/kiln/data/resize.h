// Image resizing, bit-exact with the two libraries reference preprocessing scripts use: PIL's
// Image.resize (Pillow's Resample.c fixed-point two-pass filters, antialiased when shrinking)
// and OpenCV's cv::resize (INTER_LINEAR / INTER_CUBIC fixed-point paths for 8-bit images).
#pragma once

#include <optional>
#include <string_view>

#include "kiln/data/image.h"

namespace kiln::data {

enum class Interpolation {
  kNearest,   ///< PIL Image.NEAREST
  kBilinear,  ///< PIL Image.BILINEAR (triangle filter, support scaled when downsampling)
  kBicubic,   ///< PIL Image.BICUBIC (a = -0.5, support scaled when downsampling)
  kCvLinear,  ///< OpenCV INTER_LINEAR (no antialiasing; exact 2x shrink averages 2x2 blocks)
  kCvCubic,   ///< OpenCV INTER_CUBIC (a = -0.75, no antialiasing)
};

/// "nearest", "bilinear", "bicubic", "cv-linear", "cv-cubic"; a user error lists them otherwise.
Interpolation parse_interpolation(std::string_view text);
std::string_view interpolation_name(Interpolation interpolation);

/// A rectangle of pixels: columns [x, x + width), rows [y, y + height).
struct Rect {
  int x = 0, y = 0, width = 0, height = 0;
};

/// Resizes `src` (any channel count) to width x height with the library semantics above, so the
/// uint8 pixels equal PIL's `img.resize((width, height), filter)` or OpenCV's
/// `cv2.resize(img, (width, height), interpolation=...)`.
///
/// With `window`, only those output pixels are computed and returned (an image of the window's
/// size): the same pixels as resizing fully and then cropping, without the work for the rest.
/// The window must lie inside the output.
Image resize(const Image& src, int width, int height, Interpolation interpolation,
             std::optional<Rect> window = std::nullopt);

}  // namespace kiln::data
