// PNG decoding (libpng behind kiln's size checks, palette, 16-bit and alpha handling), in both
// color modes. Run it under a memory cap: a header may declare any size.

#include "fuzz_support.h"
#include "kiln/data/image_codecs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = kiln::fuzz::as_text(data, size);
  if (!kiln::data::detail::has_png_signature(bytes)) return 0;
  kiln::fuzz::run_one_input(
      [&] { kiln::data::detail::decode_png(bytes, "fuzz.png", kiln::data::ColorMode::kRgb); });
  return kiln::fuzz::run_one_input([&] {
    kiln::data::detail::decode_png(bytes, "fuzz.png", kiln::data::ColorMode::kUnchanged);
  });
}
