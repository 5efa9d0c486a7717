// COCO ground truth (instances_*.json: images, annotations, categories) on arbitrary bytes.

#include "fuzz_support.h"
#include "kiln/eval/coco_dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kiln::fuzz::run_one_input([&] {
    kiln::eval::parse_coco_ground_truth(std::string(kiln::fuzz::as_text(data, size)),
                                        "instances.json");
  });
}
