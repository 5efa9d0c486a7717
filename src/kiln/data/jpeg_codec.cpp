// JPEG decoding and encoding with libjpeg-turbo, set up as Pillow's decoder is (islow DCT, fancy
// upsampling, no EXIF rotation) so that the pixels equal PIL's Image.open(...).convert('RGB').

#include <algorithm>
#include <csetjmp>
#include <cstdlib>
#include <cstring>

// jpeglib.h uses FILE and size_t without including their headers, so <cstdio> comes first.
// clang-format off
#include <cstdio>
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include "kiln/core/error.h"
#include "kiln/data/image_codecs.h"

namespace kiln::data::detail {

namespace {

// libjpeg reports errors through a callback that must not return; it longjmps back to the
// setjmp in the function that owns the libjpeg object, which then throws a C++ exception.
struct JpegErrorState {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_jpeg_error(j_common_ptr cinfo) {
  auto* state = reinterpret_cast<JpegErrorState*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, state->message);
  std::longjmp(state->jump, 1);
}

// Warnings: libjpeg fills a truncated file with gray and goes on; Pillow refuses it ("image file
// is truncated"), so the premature end is an error here too. Pillow ignores the other warnings
// (such as extraneous bytes before a marker), and so does this.
void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) on_jpeg_error(cinfo);
}

// Pillow reads every 4-component JPEG as inverted CMYK ("assume adobe conventions") and
// converts it to RGB with cmyk2rgb in Convert.c: nk = 255 - k; v = nk - nk * c / 255 (rounded).
std::uint8_t cmyk_channel_to_rgb(int c, int nk) {
  const int product = c * nk + 128;
  const int muldiv255 = ((product >> 8) + product) >> 8;
  const int v = nk - muldiv255;
  return static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

}  // namespace

bool has_jpeg_signature(std::string_view bytes) {
  return bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
         static_cast<unsigned char>(bytes[1]) == 0xD8 &&
         static_cast<unsigned char>(bytes[2]) == 0xFF;
}

namespace {

// Everything the libjpeg calls touch lives in this struct, in memory, so a longjmp out of
// libjpeg cannot leave a register-held local stale; the setjmp function does nothing else.
struct JpegDecodeJob {
  jpeg_decompress_struct cinfo;
  JpegErrorState error;
  std::string_view bytes;
  ColorMode mode;
  Image image;
  std::vector<JSAMPROW> rows;
  bool cmyk = false;
  int refused_components = 0;  // set when the component count is not supported
  std::string oversized;       // set when the declared size is over the limits
};

// Returns false when libjpeg reported an error (the message is in job.error).
[[gnu::noinline]] bool run_jpeg_decoder(JpegDecodeJob& job) {
  if (setjmp(job.error.jump)) return false;
  jpeg_decompress_struct& cinfo = job.cinfo;
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(job.bytes.data()),
               static_cast<unsigned long>(job.bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.num_components == 1) {
    cinfo.out_color_space = JCS_GRAYSCALE;
  } else if (cinfo.num_components == 3) {
    cinfo.out_color_space = JCS_RGB;
  } else if (cinfo.num_components == 4 && job.mode == ColorMode::kRgb) {
    cinfo.out_color_space = JCS_CMYK;
    job.cmyk = true;
  } else {
    job.refused_components = cinfo.num_components;
    return true;
  }
  // Before jpeg_start_decompress, which allocates (a progressive JPEG's whole coefficient
  // image): a few bytes of header can declare 65500x65500.
  job.oversized = declared_size_problem(cinfo.image_width, cinfo.image_height,
                                        std::max(cinfo.num_components, 3));
  if (!job.oversized.empty()) return true;
  jpeg_start_decompress(&cinfo);
  job.image = Image::blank(static_cast<int>(cinfo.output_width),
                           static_cast<int>(cinfo.output_height), cinfo.output_components);
  job.rows.resize(cinfo.output_height);
  for (JDIMENSION y = 0; y < cinfo.output_height; ++y) {
    job.rows[y] = job.image.row(static_cast<int>(y));
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    jpeg_read_scanlines(&cinfo, job.rows.data() + cinfo.output_scanline,
                        cinfo.output_height - cinfo.output_scanline);
  }
  jpeg_finish_decompress(&cinfo);
  return true;
}

}  // namespace

Image decode_jpeg(std::string_view bytes, std::string_view name, ColorMode mode) {
  JpegDecodeJob job;
  job.cinfo.err = jpeg_std_error(&job.error.manager);
  job.error.manager.error_exit = on_jpeg_error;
  job.error.manager.emit_message = on_jpeg_message;
  job.error.message[0] = '\0';
  job.bytes = bytes;
  job.mode = mode;
  const bool ok = run_jpeg_decoder(job);
  jpeg_destroy_decompress(&job.cinfo);
  if (!ok) throw_user_error("'{}': corrupt or truncated JPEG: {}", name, job.error.message);
  if (!job.oversized.empty()) throw_user_error("'{}': JPEG: {}", name, job.oversized);
  if (job.refused_components != 0) {
    throw_user_error("'{}': JPEG with {} color components is not supported{}", name,
                     job.refused_components,
                     job.refused_components == 4 ? " in unchanged color mode (CMYK)" : "");
  }
  Image& image = job.image;
  const std::size_t count = static_cast<std::size_t>(image.width) * image.height;
  if (job.cmyk) {
    Image rgb = Image::blank(image.width, image.height, 3);
    const std::uint8_t* src = image.pixels.data();
    std::uint8_t* dst = rgb.pixels.data();
    for (std::size_t i = 0; i < count; ++i, src += 4, dst += 3) {
      // Stored values are inverted: c = 255 - stored, and nk = 255 - k = stored k.
      const int nk = src[3];
      dst[0] = cmyk_channel_to_rgb(255 - src[0], nk);
      dst[1] = cmyk_channel_to_rgb(255 - src[1], nk);
      dst[2] = cmyk_channel_to_rgb(255 - src[2], nk);
    }
    return rgb;
  }
  if (image.channels == 1 && mode == ColorMode::kRgb) {
    Image rgb = Image::blank(image.width, image.height, 3);
    for (std::size_t i = 0; i < count; ++i) {
      rgb.pixels[3 * i] = rgb.pixels[3 * i + 1] = rgb.pixels[3 * i + 2] = image.pixels[i];
    }
    return rgb;
  }
  return std::move(job.image);
}

namespace {

struct JpegEncodeJob {
  jpeg_compress_struct cinfo;
  JpegErrorState error;
  const Image* image;
  int quality;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
};

[[gnu::noinline]] bool run_jpeg_encoder(JpegEncodeJob& job) {
  if (setjmp(job.error.jump)) return false;
  jpeg_compress_struct& cinfo = job.cinfo;
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &job.buffer, &job.size);
  cinfo.image_width = static_cast<JDIMENSION>(job.image->width);
  cinfo.image_height = static_cast<JDIMENSION>(job.image->height);
  cinfo.input_components = job.image->channels;
  cinfo.in_color_space = job.image->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);  // 4:2:0 chroma subsampling for color, as cameras write
  jpeg_set_quality(&cinfo, job.quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(job.image->row(static_cast<int>(cinfo.next_scanline)));
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  return true;
}

}  // namespace

std::string encode_jpeg(const Image& image, int quality) {
  if (image.channels != 1 && image.channels != 3) {
    throw_user_error("cannot write a JPEG with {} channels (1 or 3)", image.channels);
  }
  JpegEncodeJob job;
  job.cinfo.err = jpeg_std_error(&job.error.manager);
  job.error.manager.error_exit = on_jpeg_error;
  job.error.message[0] = '\0';
  job.image = &image;
  job.quality = quality;
  const bool ok = run_jpeg_encoder(job);
  jpeg_destroy_compress(&job.cinfo);
  std::string bytes;
  if (ok) bytes.assign(reinterpret_cast<const char*>(job.buffer), job.size);
  std::free(job.buffer);
  if (!ok) {
    throw_user_error("cannot encode a {}x{} JPEG: {}", image.width, image.height,
                     job.error.message);
  }
  return bytes;
}

}  // namespace kiln::data::detail
