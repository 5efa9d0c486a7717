// `kiln run` over a dataset: five stages on their own threads, joined by bounded queues of
// batches — read -> preprocess (batch assembly, padding) -> infer -> postprocess (split the batch,
// serialise each sample's outputs) -> write — so reading and writing overlap inference and
// memory stays flat however large the dataset.
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "kiln/bench/dataset_source.h"
#include "kiln/bench/output_files.h"
#include "kiln/runtime/session.h"

namespace kiln::bench {

/// Where the pipeline is, for progress displays (called on the write stage's thread).
struct DatasetProgress {
  std::size_t samples_done = 0;   ///< written (or run, without an output directory)
  std::size_t samples_total = 0;  ///< to run in this invocation (resumed ones excluded)
  double elapsed_seconds = 0;
};

struct DatasetRunOptions {
  std::filesystem::path output_dir;   ///< empty: run without writing outputs
  std::string model_name;             ///< recorded in outputs.json
  std::string model_sha256;           ///< recorded in outputs.json, compared by --resume
  std::vector<std::string> settings;  ///< see OutputsManifest::settings
  OutputFormat format = OutputFormat::kBin;
  std::size_t queue_capacity = 2;  ///< batches each queue may hold
  bool resume = false;             ///< skip samples whose outputs are all complete
  /// Without resume: delete an earlier run's outputs in output_dir first (else refuse them).
  bool overwrite = false;
  /// Checked before each batch is read; once true, batches in flight finish and are written,
  /// then the run ends (Ctrl-C).
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const DatasetProgress&)> on_progress;
  /// Test hooks, called on the stage's thread for each batch (may sleep or throw).
  std::function<void(std::size_t batch)> before_read;
  std::function<void(std::size_t batch)> before_write;
};

/// What one stage did: samples are real samples (padding excluded), busy time excludes waiting
/// on the queues.
struct StageReport {
  std::string name;  ///< read, preprocess, infer, postprocess, write
  std::size_t samples = 0;
  std::size_t batches = 0;
  double busy_seconds = 0;
  std::vector<double> batch_ms;  ///< busy time of each batch
};

struct DatasetRunReport {
  std::size_t batch = 0;
  std::size_t samples_total = 0;    ///< in the dataset
  std::size_t samples_skipped = 0;  ///< complete outputs found by --resume
  std::size_t samples_run = 0;      ///< inferred and written by this invocation
  std::size_t padded_samples = 0;   ///< filler in the last partial batch
  bool interrupted = false;
  double wall_seconds = 0;  ///< first read to last write
  std::vector<StageReport> stages;
  std::vector<double> inference_ms;  ///< Session::run alone, per batch
  std::size_t queue_capacity = 0;
  std::vector<std::size_t> queue_peaks;  ///< the most batches each queue held
};

/// Runs `session` (compiled at the batch size of its inputs' first dimension) over `samples`.
/// The first error in any stage stops every stage and is rethrown; files already written stay
/// whole, and no half-written file remains.
DatasetRunReport run_dataset(Session& session, const std::vector<DatasetSample>& samples,
                             const DatasetRunOptions& options);

}  // namespace kiln::bench
