// Image decoding by content (JPEG or PNG signature), header-only size queries, and atomic
// PNG/JPEG writing.

#include "kiln/data/image.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include "kiln/core/checked_arithmetic.h"
#include "kiln/core/error.h"
#include "kiln/core/file_io.h"
#include "kiln/data/image_codecs.h"

namespace kiln::data {

std::int64_t max_image_pixels() {
  constexpr std::int64_t kPillowBombLimit = 2 * (1024 * 1024 * 1024 / 4 / 3);
  const std::optional<std::uint64_t> set = size_from_environment("KILN_MAX_IMAGE_PIXELS");
  if (!set) return kPillowBombLimit;
  return static_cast<std::int64_t>(std::min<std::uint64_t>(*set, INT64_MAX));
}

std::string declared_size_problem(std::int64_t width, std::int64_t height, int channels) {
  const std::int64_t limit = max_image_pixels();
  // Both are at most 2^31 (libpng's and libjpeg's own bounds), so the product fits.
  const std::int64_t pixels = width * height;
  if (pixels > limit) {
    return fmt::format(
        "its header declares {}x{} pixels ({:.1f} megapixels), over the limit of {} pixels on "
        "one image (set KILN_MAX_IMAGE_PIXELS to raise it)",
        width, height, static_cast<double>(pixels) / 1e6, limit);
  }
  const std::size_t bytes = static_cast<std::size_t>(pixels) * static_cast<std::size_t>(channels);
  if (bytes > max_tensor_bytes()) {
    return fmt::format(
        "its header declares {}x{} pixels, {} decoded, over the limit of {} on one tensor (set "
        "KILN_MAX_TENSOR_BYTES to raise it)",
        width, height, format_byte_size(bytes), format_byte_size(max_tensor_bytes()));
  }
  return {};
}

Image decode_image_bytes(std::string_view bytes, std::string_view name, ColorMode mode) {
  if (bytes.empty()) throw_user_error("'{}': empty file, expected a JPEG or PNG image", name);
  if (detail::has_jpeg_signature(bytes)) return detail::decode_jpeg(bytes, name, mode);
  if (detail::has_png_signature(bytes)) return detail::decode_png(bytes, name, mode);
  throw_user_error("'{}': not a JPEG or PNG image (unknown signature)", name);
}

Image decode_image(const std::filesystem::path& path, ColorMode mode) {
  const std::string bytes = read_file(path);
  return decode_image_bytes(bytes, path.string(), mode);
}

namespace {

std::uint32_t big_endian32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// PNG: the IHDR chunk is always first, right after the signature.
ImageInfo png_info(std::istream& in, const std::string& name) {
  std::array<unsigned char, 33> header{};
  in.seekg(0);
  in.read(reinterpret_cast<char*>(header.data()), header.size());
  if (in.gcount() != static_cast<std::streamsize>(header.size()) ||
      std::memcmp(header.data() + 12, "IHDR", 4) != 0) {
    throw_user_error("'{}': corrupt or truncated PNG: no IHDR chunk", name);
  }
  ImageInfo info;
  info.format = ImageInfo::Format::kPng;
  info.width = static_cast<int>(big_endian32(header.data() + 16));
  info.height = static_cast<int>(big_endian32(header.data() + 20));
  const int bit_depth = header[24];
  const int color_type = header[25];
  if (color_type == 3 || (color_type == 0 && bit_depth <= 8)) info.unchanged_channels = 1;
  if (color_type == 2) info.unchanged_channels = 3;
  return info;
}

// JPEG: walk the marker segments up to the first start-of-frame, reading nothing else.
ImageInfo jpeg_info(std::istream& in, const std::string& name) {
  auto fail = [&]() -> ImageInfo {
    throw_user_error("'{}': corrupt or truncated JPEG: no frame header", name);
  };
  in.seekg(2);
  for (;;) {
    int byte = in.get();
    if (byte != 0xFF) return fail();
    int marker = in.get();
    while (marker == 0xFF) marker = in.get();  // fill bytes
    if (marker == EOF) return fail();
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
    unsigned char length_bytes[2];
    if (!in.read(reinterpret_cast<char*>(length_bytes), 2)) return fail();
    const int length = (length_bytes[0] << 8) | length_bytes[1];
    if (length < 2) return fail();
    const bool start_of_frame =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (start_of_frame) {
      unsigned char frame[6];
      if (!in.read(reinterpret_cast<char*>(frame), 6)) return fail();
      ImageInfo info;
      info.format = ImageInfo::Format::kJpeg;
      info.height = (frame[1] << 8) | frame[2];
      info.width = (frame[3] << 8) | frame[4];
      info.unchanged_channels = frame[5] == 1 || frame[5] == 3 ? frame[5] : 0;
      return info;
    }
    in.seekg(length - 2, std::ios::cur);
  }
}

}  // namespace

ImageInfo read_image_info(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_user_error("cannot open '{}': {}", name, std::strerror(errno));
  char signature[8] = {};
  in.read(signature, sizeof signature);
  const std::string_view head(signature, static_cast<std::size_t>(in.gcount()));
  if (head.empty()) throw_user_error("'{}': empty file, expected a JPEG or PNG image", name);
  in.clear();
  if (detail::has_png_signature(head)) return png_info(in, name);
  if (detail::has_jpeg_signature(head)) return jpeg_info(in, name);
  throw_user_error("'{}': not a JPEG or PNG image (unknown signature)", name);
}

std::string encode_png(const Image& image, int compression_level) {
  return detail::encode_png(image, compression_level);
}

std::string encode_jpeg(const Image& image, int quality) {
  return detail::encode_jpeg(image, quality);
}

void write_png(const std::filesystem::path& path, const Image& image, int compression_level) {
  write_file_atomically(path,
                        with_context([&] { return fmt::format("writing '{}'", path.string()); },
                                     [&] { return encode_png(image, compression_level); }));
}

void write_jpeg(const std::filesystem::path& path, const Image& image, int quality) {
  write_file_atomically(path,
                        with_context([&] { return fmt::format("writing '{}'", path.string()); },
                                     [&] { return encode_jpeg(image, quality); }));
}

}  // namespace kiln::data
