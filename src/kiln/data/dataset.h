// The on-disk layouts of the seed datasets (ImageNet val folder + label list, a folder of SR
// images, Cityscapes leftImg8bit/gtFine, COCO val2017 + instances json): which images a
// dataset holds, in a stable order, and what each one's label is.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "kiln/data/presets.h"

namespace kiln::data {

/// One image of a dataset.
struct Sample {
  std::filesystem::path image;        ///< the source image
  std::string stem;                   ///< its file name without the extension: the output name
  std::int64_t class_index = -1;      ///< imagenet: the class, -1 when there is no label list
  std::filesystem::path label_image;  ///< cityscapes: its *_gtFine_labelIds.png, if any
  std::int64_t image_id = -1;         ///< coco: the image id
};

struct DatasetListing {
  std::vector<Sample> samples;  ///< sorted by file name (by city, then name, for Cityscapes)
  std::filesystem::path image_dir;
  std::filesystem::path labels;    ///< where the labels came from; empty when there are none
  std::vector<std::string> notes;  ///< what the user should know (no label list found, ...)
};

struct ListOptions {
  std::filesystem::path labels;       ///< imagenet: the label list (default: val_label.txt)
  std::filesystem::path annotations;  ///< coco: instances json (default: annotations/...)
  std::string split = "val";          ///< cityscapes
};

/// Lists a dataset. `source` is the dataset root (or the image folder itself, for imagenet,
/// sr and coco). A user error names what is missing or malformed.
DatasetListing list_dataset(Task task, const std::filesystem::path& source,
                            const ListOptions& options = {});

/// True for the file extensions decode_image reads (.jpg, .jpeg, .png, any case).
bool is_image_file(const std::filesystem::path& path);

}  // namespace kiln::data
