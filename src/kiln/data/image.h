// 8-bit images in memory, and JPEG/PNG decoding and encoding with the pixel semantics of PIL's
// Image.open(path).convert('RGB'), which is what the reference preprocessing scripts ran.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::data {

/// 8-bit image, rows top to bottom, interleaved channels (HWC).
struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<std::uint8_t> pixels;  // height * width * channels

  /// A zero-filled image. (A factory, not a constructor, so Image stays an aggregate.)
  static Image blank(int width, int height, int channels) {
    Image image;
    image.width = width;
    image.height = height;
    image.channels = channels;
    image.pixels.assign(static_cast<std::size_t>(width) * height * channels, 0);
    return image;
  }

  std::uint8_t* row(int y) {
    return pixels.data() + static_cast<std::size_t>(y) * width * channels;
  }
  const std::uint8_t* row(int y) const {
    return pixels.data() + static_cast<std::size_t>(y) * width * channels;
  }
  bool empty() const { return pixels.empty(); }
};

enum class ColorMode {
  kRgb,        ///< 3 channels, as PIL's Image.convert('RGB') (gray, RGBA, palette, 16-bit, CMYK)
  kUnchanged,  ///< 1 channel for gray images and palette PNGs (palette *indices*, as PIL's mode P/L
               ///< arrays), e.g. Cityscapes *_labelIds.png; 3 for RGB; an error otherwise
};

/// Decodes a JPEG or PNG (by content, not extension). Corrupt/truncated/empty/unknown files throw a
/// kiln user error naming the file.
Image decode_image(const std::filesystem::path& path, ColorMode mode = ColorMode::kRgb);
/// Decodes an encoded JPEG or PNG held in memory; `name` is what error messages call it.
Image decode_image_bytes(std::string_view bytes, std::string_view name,
                         ColorMode mode = ColorMode::kRgb);

/// The most pixels (width x height) kiln decodes in one image: KILN_MAX_IMAGE_PIXELS when set
/// (a positive count, K/M/G suffixes allowed), else 178956970, the size at which Pillow refuses
/// an image as a decompression bomb. The codecs check the size a header declares against it
/// (and the decoded bytes against the tensor limit) before allocating anything.
std::int64_t max_image_pixels();
/// Why an image whose header declares `width` x `height` with `channels` decoded channels may
/// not be decoded ("its header declares 65500x65500 pixels (4290.2 megapixels), over ..."); empty
/// when it may.
std::string declared_size_problem(std::int64_t width, std::int64_t height, int channels);

/// What a file's header says, without decoding the pixels.
struct ImageInfo {
  enum class Format { kJpeg, kPng };
  Format format = Format::kJpeg;
  int width = 0, height = 0;
  /// Channels decode_image(path, ColorMode::kUnchanged) would give; 0 where it would refuse.
  int unchanged_channels = 0;
};
/// Reads only the header; throws like decode_image for files that are not a JPEG or PNG.
ImageInfo read_image_info(const std::filesystem::path& path);

/// Writes an 8-bit PNG (1 or 3 channels) atomically (temp name + rename). `compression_level`
/// is zlib's 0..9 (fast synthetic data uses 1).
void write_png(const std::filesystem::path& path, const Image& image, int compression_level = 6);
/// Writes a baseline JPEG (1 or 3 channels, 4:2:0 chroma subsampling as cameras do) atomically.
void write_jpeg(const std::filesystem::path& path, const Image& image, int quality = 90);

/// Encoders into memory, for callers that write the bytes themselves.
std::string encode_png(const Image& image, int compression_level = 6);
std::string encode_jpeg(const Image& image, int quality = 90);

}  // namespace kiln::data
