// PNG decoding and encoding with libpng. Decoding reproduces Pillow's PngImagePlugin modes and
// convert('RGB'): 16-bit color keeps the high byte, 16-bit gray ('I' mode) saturates at 255,
// alpha and tRNS are dropped, palette indices beyond PLTE map to Pillow's gray ramp.

#include <png.h>

#include <array>
#include <csetjmp>
#include <cstring>

#include "kiln/core/error.h"
#include "kiln/data/image_codecs.h"

namespace kiln::data::detail {

namespace {

struct PngErrorState {
  char message[256];
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* state = static_cast<PngErrorState*>(png_get_error_ptr(png));
  std::snprintf(state->message, sizeof state->message, "%s", message);
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}  // Pillow ignores ancillary problems too

struct MemoryReader {
  const unsigned char* data;
  std::size_t size;
  std::size_t offset;
};

void read_from_memory(png_structp png, png_bytep out, png_size_t length) {
  auto* reader = static_cast<MemoryReader*>(png_get_io_ptr(png));
  if (length > reader->size - reader->offset) png_error(png, "unexpected end of file");
  std::memcpy(out, reader->data + reader->offset, length);
  reader->offset += length;
}

void append_to_string(png_structp png, png_bytep data, png_size_t length) {
  static_cast<std::string*>(png_get_io_ptr(png))
      ->append(reinterpret_cast<const char*>(data), length);
}

void flush_nothing(png_structp) {}

// How the decoded rows relate to the result.
enum class Layout {
  kDirect,   // rows are the result (gray or RGB, 8-bit)
  kGray16,   // 16-bit gray samples, saturated to 8 bits as Pillow's 'I' -> 'RGB' does
  kPalette,  // 8-bit palette indices, looked up for kRgb
};

// Everything the libpng calls touch lives in this struct, in memory, so a longjmp out of libpng
// cannot leave a register-held local stale; the setjmp function does nothing else.
struct PngDecodeJob {
  png_structp png = nullptr;
  png_infop info = nullptr;
  PngErrorState error;
  MemoryReader reader;
  ColorMode mode;
  Image decoded;
  std::vector<png_bytep> rows;
  std::array<std::uint8_t, 256 * 3> palette;
  Layout layout = Layout::kDirect;
  const char* refusal = nullptr;  // set when the pixel format is not supported in `mode`
  std::string oversized;          // set when the declared size is over the limits
};

// Returns false when libpng reported an error (the message is in job.error).
[[gnu::noinline]] bool run_png_decoder(PngDecodeJob& job) {
  if (setjmp(png_jmpbuf(job.png))) return false;
  png_structp png = job.png;
  png_infop info = job.info;
  png_set_read_fn(png, &job.reader, read_from_memory);
  png_read_info(png, info);
  const int width = static_cast<int>(png_get_image_width(png, info));
  const int height = static_cast<int>(png_get_image_height(png, info));
  // Before any row is allocated: a 200-byte file can declare 100000x100000.
  job.oversized =
      declared_size_problem(png_get_image_width(png, info), png_get_image_height(png, info), 6);
  if (!job.oversized.empty()) return true;
  const int bit_depth = png_get_bit_depth(png, info);
  const bool unchanged = job.mode == ColorMode::kUnchanged;
  int channels = 0;
  int bytes_per_sample = 1;
  switch (png_get_color_type(png, info)) {
    case PNG_COLOR_TYPE_PALETTE: {
      if (bit_depth < 8) png_set_packing(png);
      job.layout = Layout::kPalette;
      channels = 1;
      // Pillow starts every palette as a gray ramp and overwrites the entries PLTE has.
      for (int i = 0; i < 256; ++i) {
        job.palette[3 * i] = job.palette[3 * i + 1] = job.palette[3 * i + 2] =
            static_cast<std::uint8_t>(i);
      }
      png_colorp entries = nullptr;
      int count = 0;
      if (png_get_PLTE(png, info, &entries, &count) & PNG_INFO_PLTE) {
        for (int i = 0; i < count && i < 256; ++i) {
          job.palette[3 * i] = entries[i].red;
          job.palette[3 * i + 1] = entries[i].green;
          job.palette[3 * i + 2] = entries[i].blue;
        }
      }
      break;
    }
    case PNG_COLOR_TYPE_GRAY:
      if (bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
      if (bit_depth == 16) {
        if (unchanged) job.refusal = "16-bit gray";
        job.layout = Layout::kGray16;
        bytes_per_sample = 2;
      }
      channels = 1;
      break;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      if (unchanged) job.refusal = "gray with alpha";
      if (bit_depth == 16) png_set_strip_16(png);
      png_set_strip_alpha(png);
      channels = 1;
      break;
    case PNG_COLOR_TYPE_RGB:
      if (bit_depth == 16) png_set_strip_16(png);
      channels = 3;
      break;
    case PNG_COLOR_TYPE_RGB_ALPHA:
      if (unchanged) job.refusal = "RGBA";
      if (bit_depth == 16) png_set_strip_16(png);
      png_set_strip_alpha(png);
      channels = 3;
      break;
    default:
      job.refusal = "an unknown color type";
  }
  if (job.refusal != nullptr) return true;
  if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const std::size_t row_bytes = static_cast<std::size_t>(width) * channels * bytes_per_sample;
  if (png_get_rowbytes(png, info) != row_bytes) png_error(png, "unexpected row size");
  job.decoded = Image::blank(width * bytes_per_sample, height, channels);
  job.decoded.width = width;
  job.rows.resize(static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    job.rows[static_cast<std::size_t>(y)] = job.decoded.pixels.data() + row_bytes * y;
  }
  // The image data is all there is to read: like Pillow, tolerate a missing IEND.
  png_read_image(png, job.rows.data());
  return true;
}

}  // namespace

bool has_png_signature(std::string_view bytes) {
  static constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kSignature, 8) == 0;
}

Image decode_png(std::string_view bytes, std::string_view name, ColorMode mode) {
  PngDecodeJob job;
  job.error.message[0] = '\0';
  job.reader = {reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 0};
  job.mode = mode;
  job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job.error, on_png_error, on_png_warning);
  if (job.png == nullptr) throw_internal_error("libpng: cannot create a read struct");
  job.info = png_create_info_struct(job.png);
  if (job.info == nullptr) {
    png_destroy_read_struct(&job.png, nullptr, nullptr);
    throw_internal_error("libpng: cannot create an info struct");
  }
  const bool ok = run_png_decoder(job);
  png_destroy_read_struct(&job.png, &job.info, nullptr);
  if (!ok) throw_user_error("'{}': corrupt or truncated PNG: {}", name, job.error.message);
  if (!job.oversized.empty()) throw_user_error("'{}': PNG: {}", name, job.oversized);
  if (job.refusal != nullptr) {
    throw_user_error(
        "'{}': PNG with {} pixels cannot be read{}", name, job.refusal,
        mode == ColorMode::kUnchanged ? " in unchanged color mode (gray, palette or RGB)" : "");
  }

  Image& decoded = job.decoded;
  const int width = decoded.width;
  const int height = decoded.height;
  const std::size_t count = static_cast<std::size_t>(width) * height;
  if (job.layout == Layout::kGray16) {
    Image gray = Image::blank(width, height, 1);
    for (std::size_t i = 0; i < count; ++i) {
      const int value = (decoded.pixels[2 * i] << 8) | decoded.pixels[2 * i + 1];
      gray.pixels[i] = static_cast<std::uint8_t>(value > 255 ? 255 : value);
    }
    decoded = std::move(gray);
  }
  if (mode == ColorMode::kUnchanged || decoded.channels == 3) return std::move(decoded);
  Image rgb = Image::blank(width, height, 3);
  const bool lookup = job.layout == Layout::kPalette;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t v = decoded.pixels[i];
    if (lookup) {
      rgb.pixels[3 * i] = job.palette[3 * v];
      rgb.pixels[3 * i + 1] = job.palette[3 * v + 1];
      rgb.pixels[3 * i + 2] = job.palette[3 * v + 2];
    } else {
      rgb.pixels[3 * i] = rgb.pixels[3 * i + 1] = rgb.pixels[3 * i + 2] = v;
    }
  }
  return rgb;
}

namespace {

struct PngEncodeJob {
  png_structp png = nullptr;
  png_infop info = nullptr;
  PngErrorState error;
  const Image* image;
  int compression_level;
  std::string bytes;
  std::vector<png_bytep> rows;
};

[[gnu::noinline]] bool run_png_encoder(PngEncodeJob& job) {
  if (setjmp(png_jmpbuf(job.png))) return false;
  const Image& image = *job.image;
  png_set_write_fn(job.png, &job.bytes, append_to_string, flush_nothing);
  png_set_compression_level(job.png, job.compression_level);
  png_set_IHDR(job.png, job.info, static_cast<png_uint_32>(image.width),
               static_cast<png_uint_32>(image.height), 8,
               image.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(job.png, job.info);
  job.rows.resize(static_cast<std::size_t>(image.height));
  for (int y = 0; y < image.height; ++y) {
    job.rows[static_cast<std::size_t>(y)] = const_cast<png_bytep>(image.row(y));
  }
  png_write_image(job.png, job.rows.data());
  png_write_end(job.png, nullptr);
  return true;
}

}  // namespace

std::string encode_png(const Image& image, int compression_level) {
  if (image.channels != 1 && image.channels != 3) {
    throw_user_error("cannot write a PNG with {} channels (1 or 3)", image.channels);
  }
  PngEncodeJob job;
  job.error.message[0] = '\0';
  job.image = &image;
  job.compression_level = compression_level;
  job.png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, &job.error, on_png_error, on_png_warning);
  if (job.png == nullptr) throw_internal_error("libpng: cannot create a write struct");
  job.info = png_create_info_struct(job.png);
  if (job.info == nullptr) {
    png_destroy_write_struct(&job.png, nullptr);
    throw_internal_error("libpng: cannot create an info struct");
  }
  const bool ok = run_png_encoder(job);
  png_destroy_write_struct(&job.png, &job.info);
  if (!ok) {
    throw_user_error("cannot encode a {}x{} PNG: {}", image.width, image.height, job.error.message);
  }
  return std::move(job.bytes);
}

}  // namespace kiln::data::detail
