// The .npy reader (header and data size) on arbitrary bytes.

#include "fuzz_support.h"
#include "kiln/core/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kiln::fuzz::run_one_input(
      [&] { kiln::parse_npy(kiln::fuzz::as_text(data, size), "fuzz.npy"); });
}
