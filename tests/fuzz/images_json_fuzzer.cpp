// `kiln prep coco`'s DIR.images.json (stem, file_name, image_id, width, height, scale per image)
// as `kiln eval coco --decode efficientdet` reads it.

#include "fuzz_support.h"
#include "kiln/eval/efficientdet_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kiln::fuzz::run_one_input([&] {
    const auto path =
        kiln::fuzz::write_scratch_file("prep.images.json", kiln::fuzz::as_text(data, size));
    kiln::eval::read_prepared_images(path);
  });
}
