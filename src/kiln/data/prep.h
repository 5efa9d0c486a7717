// `kiln prep`: a dataset -> one tensor file per sample, the .info list and the labels the
// evaluator needs; parallel, streaming (one image per worker in memory), resumable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "kiln/data/dataset.h"
#include "kiln/data/presets.h"

namespace kiln::data {

struct PrepOptions {
  Task task = Task::kImagenet;
  std::filesystem::path source;
  std::filesystem::path output;  ///< DIR: DIR/<stem>.bin, DIR.info, DIR.labels.txt, ...
  std::string preset;            ///< the preset the recipe came from ("custom" if changed)
  InputRecipe recipe;
  ListOptions listing;
  int threads = 0;         ///< 0: one per core
  std::int64_t limit = 0;  ///< prepare only the first N samples (0: all)
  bool skip_bad = false;   ///< go on past unreadable images, listing them in DIR.skipped.txt
  bool quiet = false;      ///< no progress, no notes
};

struct PrepResult {
  std::int64_t samples = 0;   ///< in the .info
  std::int64_t prepared = 0;  ///< written by this run
  std::int64_t reused = 0;    ///< complete from an earlier run
  std::int64_t skipped = 0;   ///< unreadable, with --skip-bad
  double seconds = 0;
  std::filesystem::path info;
};

/// Prepares the dataset; a user error names the first bad image (without skip_bad) or what
/// else is wrong. Outputs are written atomically, so an interrupted run leaves only complete
/// files and the next run with the same options finishes the rest.
PrepResult prep_dataset(const PrepOptions& options);

/// Where prep puts its side files: DIR + suffix ("out/dpn131" + ".info" -> "out/dpn131.info").
std::filesystem::path output_sibling(const std::filesystem::path& dir, std::string_view suffix);

}  // namespace kiln::data
