// The JPEG (libjpeg-turbo) and PNG (libpng) codecs behind image.h; decode_image picks one by
// the file's signature.
#pragma once

#include <string>
#include <string_view>

#include "kiln/data/image.h"

namespace kiln::data::detail {

bool has_jpeg_signature(std::string_view bytes);
bool has_png_signature(std::string_view bytes);

Image decode_jpeg(std::string_view bytes, std::string_view name, ColorMode mode);
Image decode_png(std::string_view bytes, std::string_view name, ColorMode mode);

std::string encode_jpeg(const Image& image, int quality);
std::string encode_png(const Image& image, int compression_level);

}  // namespace kiln::data::detail
