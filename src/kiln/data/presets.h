// The preprocessing recipe of each model of the seed guides, in one table that prep (and any
// other command that needs a model's input format) reads: geometry, filter, channel order,
// normalisation, each verified against the reference script the guide names.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kiln/core/dtype.h"
#include "kiln/data/resize.h"
#include "kiln/data/transforms.h"

namespace kiln::data {

/// The datasets `kiln prep` and `kiln synth` know.
enum class Task { kImagenet, kSr, kCityscapes, kCoco };
std::string_view task_name(Task task);
/// "imagenet", "sr", "cityscapes", "coco"; a user error lists them otherwise.
Task parse_task(std::string_view text);

/// How a decoded RGB image becomes the model's input image (before normalisation).
enum class Geometry {
  kResizeShorterCenterCrop,  ///< shorter side -> resize_size (0: no resize), center crop
  kResizeExact,              ///< resize to width x height, aspect ratio not kept
  kFitPadTopLeft,            ///< fit inside width x height, paste at (0, 0) on `fill`
  kFitPadCenter,             ///< fit inside width x height, centered on `fill`
  kCenterCrop,               ///< center crop width x height, no resize (zeros outside)
};
std::string_view geometry_name(Geometry geometry);

/// Everything that decides the bytes of one prepared sample.
struct InputRecipe {
  Geometry geometry = Geometry::kResizeShorterCenterCrop;
  int resize_size = 0;        ///< shorter side for kResizeShorterCenterCrop
  int width = 0, height = 0;  ///< the model input (crop, target or canvas size)
  Interpolation interpolation = Interpolation::kBilinear;
  std::array<std::uint8_t, 3> fill{0, 0, 0};  ///< padding color (RGB)
  bool bgr = false;                           ///< reverse the channels before normalising
  Normalization normalization;                ///< per output channel
  DType dtype = DType::kFloat32;
  /// Super-resolution only: the geometry makes the HR image; the input is the HR image shrunk
  /// by this factor with PIL bicubic (after trimming the HR size to a multiple of it).
  int sr_scale = 0;
};

/// A named recipe: a model's preprocessing as its deployment guide's script does it.
struct Preset {
  std::string_view name;
  Task task;
  std::string_view summary;  ///< one line for --help and the prep manifest
  InputRecipe recipe;
};

/// Every preset, in the order `kiln prep --help` lists them.
std::span<const Preset> presets();
/// The preset called `name`; a user error lists the presets otherwise.
const Preset& find_preset(std::string_view name);
/// The preset a task uses when none is named: the seed guide's model for sr (rdn), cityscapes
/// (intrada) and coco (efficientdet_d0). ImageNet models differ too much for a default: null.
const Preset* default_preset(Task task);

/// One line saying what a recipe does, for logs and the prep manifest.
std::string describe_recipe(const InputRecipe& recipe);

}  // namespace kiln::data
