// The geometric and numeric steps of image preprocessing (crop, pad, shorter/longer-side sizes,
// channel order, mean/std normalisation, HWC -> CHW), each with the rounding of the reference
// (torchvision, timm, effdet, or the seeds' numpy scripts) so results match value for value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "kiln/core/dtype.h"
#include "kiln/data/image.h"
#include "kiln/data/resize.h"

namespace kiln::data {

/// Crops like PIL's Image.crop((x, y, x + width, y + height)): pixels outside the image are 0.
Image crop(const Image& src, const Rect& box);

/// The box torchvision's CenterCrop (and the seeds' center_crop) takes: offsets
/// round((size - crop) / 2) with Python's round, i.e. half to even (58.5 -> 58).
Rect center_crop_box(int width, int height, int crop_width, int crop_height);

/// torchvision's Resize(int size): the shorter side becomes `size`, the longer side
/// int(size * long / short) (truncated); returns {width, height}.
std::array<int, 2> shorter_side_size(int width, int height, int size);

/// The largest aspect-preserving size inside box_width x box_height, as effdet's ResizePad and
/// the RDN script compute it: scale = min(box_h / h, box_w / w), sides int(side * scale).
struct FitSize {
  int width = 0, height = 0;
  double scale = 0;  ///< model-input pixels per original pixel
};
FitSize fit_within(int width, int height, int box_width, int box_height);

/// A width x height canvas filled with `fill` (per channel; gray images use fill[0]) with
/// `image` pasted at (x, y), as PIL's Image.new + paste or cv2.copyMakeBorder do.
Image pad(const Image& image, int width, int height, int x, int y,
          std::array<std::uint8_t, 3> fill);

/// RGB <-> BGR in place (3-channel images).
void reverse_channels(Image& image);

/// The floating-point recipe of (pixel - mean) / std. The references differ in units and
/// precision, and the float32 results differ in the last bit unless the same steps are taken.
enum class NormalizeArithmetic {
  /// x = p / 255 in float32, then (x - mean) / std in float32, mean/std in [0, 1] units:
  /// torchvision ToTensor + Normalize, the seeds' imagenet_torch_preprocess.py (numpy float32).
  kUnitFloat32,
  /// (p - mean) / std in float32 with mean/std in pixel units, each rounded to float32 first:
  /// effdet's PrefetchLoader (mean = [m * 255 for m in mean] as a float32 tensor).
  kPixelFloat32,
  /// (p - mean) / std in float64 with pixel units, rounded to float32 once at the end: numpy
  /// scripts that subtract a float64 array (the LV-ViT preprocess script).
  kPixelFloat64,
  /// x = (p / 255) * 255 in float32 (ToTensor, then `*= 255`), then (x - mean) / std in
  /// float32 with pixel units: the IntraDA (DeepLab-v2) preprocess script.
  kRescaledFloat32,
};
std::string_view arithmetic_name(NormalizeArithmetic arithmetic);
NormalizeArithmetic parse_arithmetic(std::string_view text);

/// Mean and std per output channel (in the tensor's channel order), in the arithmetic's units.
struct Normalization {
  NormalizeArithmetic arithmetic = NormalizeArithmetic::kUnitFloat32;
  std::array<double, 3> mean{0, 0, 0};
  std::array<double, 3> std{1, 1, 1};
};

/// For each channel, the output value of every uint8 input: normalisation is per channel and
/// elementwise, so 3 x 256 values computed with the exact recipe serve every pixel.
using NormalizationTable = std::array<std::array<float, 256>, 3>;
NormalizationTable normalization_table(const Normalization& normalization);

/// Element types a prepared tensor can have: float32 (default), float16 (the normalised value
/// rounded to half), uint8 (raw pixels, no normalisation, for models that take bytes).
/// Bytes of a channels x height x width tensor of `dtype`.
std::size_t chw_size_bytes(int channels, int height, int width, DType dtype);

/// Writes `image` (HWC) as a CHW tensor of `dtype` into `dst` (chw_size_bytes long), through
/// `table` for float types.
void write_chw(const Image& image, const NormalizationTable& table, DType dtype,
               std::span<std::byte> dst);

}  // namespace kiln::data
