// The `.info` dataset list reader (`index path width height` lines) on arbitrary bytes, for a
// one-input model; listed files resolve against the scratch directory, which holds one sample.

#include "fuzz_support.h"
#include "kiln/bench/dataset_source.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool sample_written = [] {
    kiln::fuzz::write_scratch_file("a.bin", std::string(12, '\0'));
    return true;
  }();
  (void)sample_written;
  return kiln::fuzz::run_one_input([&] {
    const auto list = kiln::fuzz::write_scratch_file("list.info", kiln::fuzz::as_text(data, size));
    const kiln::TensorSignature input{"x", kiln::DType::kFloat32, kiln::Shape{1, 3}};
    kiln::bench::list_dataset({list.string()}, {input});
  });
}
