// Test driver for the Python reference tests (tests/data/test_pil_reference.py): exposes kiln's
// decoding, resizing and normalisation tables on the command line, writing results as .npy.
//
//   image_driver decode IN OUT.npy [rgb|unchanged]
//   image_driver info IN
//   image_driver resize IN WIDTH HEIGHT INTERPOLATION OUT.npy [rgb|unchanged [X Y W H]]
//   image_driver table ARITHMETIC M0 M1 M2 S0 S1 S2 OUT.npy

#include <fmt/format.h>

#include <cstring>
#include <string>
#include <vector>

#include "kiln/core/error.h"
#include "kiln/core/npy.h"
#include "kiln/data/image.h"
#include "kiln/data/resize.h"
#include "kiln/data/transforms.h"

namespace {

using namespace kiln;
using namespace kiln::data;

void save_image(const Image& image, const std::string& path) {
  Tensor tensor(DType::kUInt8, Shape{image.height, image.width, image.channels});
  std::memcpy(tensor.raw(), image.pixels.data(), image.pixels.size());
  write_npy(path, tensor);
}

int run(const std::vector<std::string>& args) {
  if (args.empty()) throw_user_error("usage: image_driver decode|info|resize|table ...");
  const std::string& command = args[0];
  if (command == "decode" && args.size() >= 3) {
    const ColorMode mode =
        args.size() > 3 && args[3] == "unchanged" ? ColorMode::kUnchanged : ColorMode::kRgb;
    save_image(decode_image(args[1], mode), args[2]);
    return 0;
  }
  if (command == "info" && args.size() == 2) {
    const ImageInfo info = read_image_info(args[1]);
    fmt::print("{} {} {} {}\n", info.format == ImageInfo::Format::kJpeg ? "jpeg" : "png",
               info.width, info.height, info.unchanged_channels);
    return 0;
  }
  if (command == "resize" && (args.size() == 6 || args.size() == 7 || args.size() == 11)) {
    const ColorMode mode =
        args.size() > 6 && args[6] == "unchanged" ? ColorMode::kUnchanged : ColorMode::kRgb;
    const Image src = decode_image(args[1], mode);
    std::optional<Rect> window;
    if (args.size() == 11) {
      window =
          Rect{std::stoi(args[7]), std::stoi(args[8]), std::stoi(args[9]), std::stoi(args[10])};
    }
    save_image(
        resize(src, std::stoi(args[2]), std::stoi(args[3]), parse_interpolation(args[4]), window),
        args[5]);
    return 0;
  }
  if (command == "table" && args.size() == 9) {
    Normalization normalization;
    normalization.arithmetic = parse_arithmetic(args[1]);
    for (int c = 0; c < 3; ++c) {
      normalization.mean[static_cast<std::size_t>(c)] = std::stod(args[2 + c]);
      normalization.std[static_cast<std::size_t>(c)] = std::stod(args[5 + c]);
    }
    const NormalizationTable table = normalization_table(normalization);
    Tensor tensor(DType::kFloat32, Shape{3, 256});
    std::memcpy(tensor.raw(), table.data(), sizeof table);
    write_npy(args[8], tensor);
    return 0;
  }
  throw_user_error("image_driver: bad arguments for '{}'", command);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "image_driver: error: %s\n", e.what());
    return 1;
  }
}
