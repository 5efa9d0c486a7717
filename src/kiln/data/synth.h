// `kiln synth`: small seeded datasets in the real on-disk layouts of the seed tasks (ImageNet val
// folder + val_label.txt, a Set5-like folder, Cityscapes leftImg8bit/gtFine, COCO val2017 +
// instances_val2017.json), so demos and tests run the same code paths as the real data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "kiln/data/presets.h"

namespace kiln::data {

struct SynthOptions {
  Task task = Task::kImagenet;
  std::filesystem::path output;
  int count = 8;
  std::uint64_t seed = 0;
  int width = 0, height = 0;  ///< cityscapes image size (default 2048x1024); others ignore it
  int threads = 0;            ///< 0: one per core
  /// Write into a non-empty directory that kiln synth did not write (its files of the same
  /// names are replaced); without it that is a user error.
  bool overwrite = false;
};

/// The file kiln synth leaves in its output directory, so that a rerun may replace its files
/// while a user's own directory is refused.
inline constexpr const char* kSynthMarker = ".kiln-synth";

struct SynthResult {
  int images = 0;
  int annotations = 0;                ///< coco: objects in the json
  std::filesystem::path description;  ///< the label list / annotation file / image folder
};

/// Writes the dataset; the same options give the same files, whatever the thread count. The
/// output directory must be new, empty, written by kiln synth before, or `overwrite` given.
SynthResult synth_dataset(const SynthOptions& options);

/// COCO's 80 object categories: the real ids (1..90 with gaps), names and supercategories.
struct CocoCategory {
  int id;
  std::string_view name;
  std::string_view supercategory;
};
std::span<const CocoCategory> coco_categories();

}  // namespace kiln::data
