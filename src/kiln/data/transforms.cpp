// Crop, pad, size rules, channel order and normalisation with the references' rounding.

#include "kiln/data/transforms.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kiln/core/error.h"

namespace kiln::data {

Image crop(const Image& src, const Rect& box) {
  Image out = Image::blank(box.width, box.height, src.channels);
  const int x0 = std::max(box.x, 0);
  const int x1 = std::min(box.x + box.width, src.width);
  const int y0 = std::max(box.y, 0);
  const int y1 = std::min(box.y + box.height, src.height);
  if (x0 >= x1 || y0 >= y1) return out;
  const std::size_t bytes = static_cast<std::size_t>(x1 - x0) * src.channels;
  for (int y = y0; y < y1; ++y) {
    std::memcpy(out.row(y - box.y) + static_cast<std::size_t>(x0 - box.x) * src.channels,
                src.row(y) + static_cast<std::size_t>(x0) * src.channels, bytes);
  }
  return out;
}

namespace {

// Python's round() for the halves (size - crop) / 2 can produce: to the nearest even integer.
int python_round_half(int twice) {
  return static_cast<int>(std::nearbyint(static_cast<double>(twice) / 2.0));
}

}  // namespace

Rect center_crop_box(int width, int height, int crop_width, int crop_height) {
  // std::nearbyint rounds half to even in the default rounding mode, as Python's round does.
  return Rect{python_round_half(width - crop_width), python_round_half(height - crop_height),
              crop_width, crop_height};
}

std::array<int, 2> shorter_side_size(int width, int height, int size) {
  // Python: int(size * long / short) -- an exact integer product, a double quotient, truncated.
  if (width <= height) {
    return {size, static_cast<int>(static_cast<double>(std::int64_t{size} * height) / width)};
  }
  return {static_cast<int>(static_cast<double>(std::int64_t{size} * width) / height), size};
}

FitSize fit_within(int width, int height, int box_width, int box_height) {
  const double scale_y = static_cast<double>(box_height) / height;
  const double scale_x = static_cast<double>(box_width) / width;
  const double scale = std::min(scale_y, scale_x);
  return FitSize{static_cast<int>(width * scale), static_cast<int>(height * scale), scale};
}

Image pad(const Image& image, int width, int height, int x, int y,
          std::array<std::uint8_t, 3> fill) {
  Image out = Image::blank(width, height, image.channels);
  const int channels = image.channels;
  for (std::size_t i = 0; i < out.pixels.size(); ++i) {
    out.pixels[i] = fill[channels == 3 ? i % 3 : 0];
  }
  const int x0 = std::max(x, 0);
  const int x1 = std::min(x + image.width, width);
  for (int row = std::max(y, 0); row < std::min(y + image.height, height); ++row) {
    if (x0 >= x1) break;
    std::memcpy(out.row(row) + static_cast<std::size_t>(x0) * channels,
                image.row(row - y) + static_cast<std::size_t>(x0 - x) * channels,
                static_cast<std::size_t>(x1 - x0) * channels);
  }
  return out;
}

void reverse_channels(Image& image) {
  KILN_CHECK(image.channels == 3, "reverse_channels on a {}-channel image", image.channels);
  for (std::size_t i = 0; i + 2 < image.pixels.size(); i += 3) {
    std::swap(image.pixels[i], image.pixels[i + 2]);
  }
}

std::string_view arithmetic_name(NormalizeArithmetic arithmetic) {
  switch (arithmetic) {
    case NormalizeArithmetic::kUnitFloat32:
      return "unit-float32";
    case NormalizeArithmetic::kPixelFloat32:
      return "pixel-float32";
    case NormalizeArithmetic::kPixelFloat64:
      return "pixel-float64";
    case NormalizeArithmetic::kRescaledFloat32:
      return "rescaled-float32";
  }
  return "?";
}

NormalizeArithmetic parse_arithmetic(std::string_view text) {
  for (NormalizeArithmetic a :
       {NormalizeArithmetic::kUnitFloat32, NormalizeArithmetic::kPixelFloat32,
        NormalizeArithmetic::kPixelFloat64, NormalizeArithmetic::kRescaledFloat32}) {
    if (text == arithmetic_name(a)) return a;
  }
  throw_user_error(
      "unknown normalisation arithmetic '{}' (expected unit-float32, pixel-float32, "
      "pixel-float64 or rescaled-float32)",
      text);
}

NormalizationTable normalization_table(const Normalization& normalization) {
  NormalizationTable table;
  for (int c = 0; c < 3; ++c) {
    const double mean = normalization.mean[static_cast<std::size_t>(c)];
    const double std = normalization.std[static_cast<std::size_t>(c)];
    const float mean32 = static_cast<float>(mean);
    const float std32 = static_cast<float>(std);
    for (int p = 0; p < 256; ++p) {
      float value = 0;
      switch (normalization.arithmetic) {
        case NormalizeArithmetic::kUnitFloat32: {
          const float x = static_cast<float>(p) / 255.0f;
          value = (x - mean32) / std32;
          break;
        }
        case NormalizeArithmetic::kPixelFloat32:
          value = (static_cast<float>(p) - mean32) / std32;
          break;
        case NormalizeArithmetic::kPixelFloat64:
          value = static_cast<float>((static_cast<double>(p) - mean) / std);
          break;
        case NormalizeArithmetic::kRescaledFloat32: {
          const float x = (static_cast<float>(p) / 255.0f) * 255.0f;
          value = (x - mean32) / std32;
          break;
        }
      }
      table[static_cast<std::size_t>(c)][static_cast<std::size_t>(p)] = value;
    }
  }
  return table;
}

std::size_t chw_size_bytes(int channels, int height, int width, DType dtype) {
  return static_cast<std::size_t>(channels) * height * width * dtype_size(dtype);
}

void write_chw(const Image& image, const NormalizationTable& table, DType dtype,
               std::span<std::byte> dst) {
  const int channels = image.channels;
  const std::size_t plane = static_cast<std::size_t>(image.width) * image.height;
  KILN_CHECK(dst.size() == chw_size_bytes(channels, image.height, image.width, dtype),
             "destination of {} bytes for a {}x{}x{} {} tensor", dst.size(), channels, image.height,
             image.width, dtype_name(dtype));
  KILN_CHECK(channels <= 3, "write_chw on a {}-channel image", channels);
  const std::uint8_t* src = image.pixels.data();
  switch (dtype) {
    case DType::kFloat32: {
      auto* out = reinterpret_cast<float*>(dst.data());
      for (int c = 0; c < channels; ++c) {
        const auto& lut = table[static_cast<std::size_t>(c)];
        float* o = out + plane * c;
        for (std::size_t i = 0; i < plane; ++i) o[i] = lut[src[i * channels + c]];
      }
      return;
    }
    case DType::kFloat16: {
      auto* out = reinterpret_cast<std::uint16_t*>(dst.data());
      for (int c = 0; c < channels; ++c) {
        std::array<std::uint16_t, 256> halves;
        for (int p = 0; p < 256; ++p) {
          halves[static_cast<std::size_t>(p)] =
              float_to_half(table[static_cast<std::size_t>(c)][static_cast<std::size_t>(p)]);
        }
        std::uint16_t* o = out + plane * c;
        for (std::size_t i = 0; i < plane; ++i) o[i] = halves[src[i * channels + c]];
      }
      return;
    }
    case DType::kUInt8: {
      auto* out = reinterpret_cast<std::uint8_t*>(dst.data());
      for (int c = 0; c < channels; ++c) {
        std::uint8_t* o = out + plane * c;
        for (std::size_t i = 0; i < plane; ++i) o[i] = src[i * channels + c];
      }
      return;
    }
    default:
      throw_user_error("prepared tensors are float32, float16 or uint8, not {}", dtype_name(dtype));
  }
}

}  // namespace kiln::data
