// JPEG decoding (libjpeg-turbo behind kiln's size checks and CMYK/gray handling), in both color
// modes. Run it under a memory cap: a header may declare any size.

#include "fuzz_support.h"
#include "kiln/data/image_codecs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = kiln::fuzz::as_text(data, size);
  if (!kiln::data::detail::has_jpeg_signature(bytes)) return 0;
  kiln::fuzz::run_one_input(
      [&] { kiln::data::detail::decode_jpeg(bytes, "fuzz.jpg", kiln::data::ColorMode::kRgb); });
  return kiln::fuzz::run_one_input([&] {
    kiln::data::detail::decode_jpeg(bytes, "fuzz.jpg", kiln::data::ColorMode::kUnchanged);
  });
}
