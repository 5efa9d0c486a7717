// `kiln run`'s outputs.json as eval reads it: an output directory holding the fuzzed
// outputs.json and one output file per index 1 and 2, read with the specs it declares.

#include "fuzz_support.h"
#include "kiln/eval/output_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool outputs_written = [] {
    kiln::fuzz::write_scratch_file("s_1.bin", std::string(16, '\0'));
    kiln::fuzz::write_scratch_file("s_2.txt", "1 2 3 4\n");
    return true;
  }();
  (void)outputs_written;
  return kiln::fuzz::run_one_input([&] {
    kiln::fuzz::write_scratch_file("outputs.json", kiln::fuzz::as_text(data, size));
    const kiln::eval::OutputDirectory outputs(kiln::fuzz::scratch_directory());
    for (int index : {1, 2}) {
      for (const kiln::eval::OutputFile& file : outputs.files(index)) outputs.read(file);
    }
  });
}
