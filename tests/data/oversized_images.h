#pragma once

// Small files whose headers declare huge images: what a decompression bomb or a lying header
// looks like to the decoders. Shared by the image and prep tests.

#include <cstdint>
#include <string>

#include "kiln/data/image.h"

namespace kiln::data::testing {

/// A real 16x16 baseline JPEG with its frame header's size changed to `width` x `height`.
inline std::string jpeg_declaring(int width, int height) {
  Image image = Image::blank(16, 16, 3);
  std::string jpeg = encode_jpeg(image);
  const std::size_t frame = jpeg.find("\xFF\xC0");  // SOF0: length(2) precision(1) H(2) W(2)
  jpeg[frame + 5] = static_cast<char>(height >> 8);
  jpeg[frame + 6] = static_cast<char>(height & 0xFF);
  jpeg[frame + 7] = static_cast<char>(width >> 8);
  jpeg[frame + 8] = static_cast<char>(width & 0xFF);
  return jpeg;
}

inline std::uint32_t png_crc(const std::string& bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

inline void append_big_endian(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

inline void append_png_chunk(std::string& out, const std::string& type, const std::string& data) {
  append_big_endian(out, static_cast<std::uint32_t>(data.size()));
  out += type + data;
  append_big_endian(out, png_crc(type + data));
}

/// A PNG of under 100 bytes: an IHDR declaring `width` x `height` 8-bit RGB, one short IDAT
/// (a zlib stream of a few zero rows) and IEND. Valid CRCs, so only the size is a lie.
inline std::string png_declaring(std::uint32_t width, std::uint32_t height) {
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  append_big_endian(header, width);
  append_big_endian(header, height);
  header += std::string("\x08\x02\x00\x00\x00", 5);
  append_png_chunk(out, "IHDR", header);
  append_png_chunk(out, "IDAT", std::string("\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01", 10));
  append_png_chunk(out, "IEND", "");
  return out;
}

}  // namespace kiln::data::testing
