// `kiln bench`: pure inference, measured honestly — per batch size, a fresh session (or K
// sessions sharing one copy of the weights, one per stream), warm-up runs excluded, every timed
// run counted on steady_clock, and the spread reported with the mean.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "kiln/bench/latency_statistics.h"
#include "kiln/runtime/session.h"

namespace kiln::bench {

struct BenchmarkOptions {
  std::vector<std::int64_t> batches = {1};
  int warmup = 2;               ///< untimed runs per stream before timing
  int iterations = 0;           ///< timed runs per stream; 0: run for `duration_seconds`
  double duration_seconds = 5;  ///< with iterations 0: time at least this long...
  int min_iterations = 3;       ///< ...and at least this many runs per stream
  int threads = 0;              ///< in all, split between streams; 0: every core
  int streams = 1;
  std::uint32_t seed = 0;
  /// Real inputs instead of random ones: "FILE.npy" or "NAME=FILE.npy", holding one sample or
  /// several, repeated to fill the batch.
  std::vector<std::string> input_files;
  SessionOptions session;  ///< import options (the batch is set per sweep point), compile options
  /// Called with a short status ("batch 16: compiling") for progress displays.
  std::function<void(const std::string&)> on_status;
};

struct BatchResult {
  std::int64_t batch = 0;
  int streams = 1;
  int threads_per_stream = 1;
  double compile_seconds = 0;     ///< import + compile + kernel creation of all streams
  std::size_t runs = 0;           ///< timed runs, all streams together
  double seconds = 0;             ///< wall time of the timed part
  double samples_per_second = 0;  ///< batch * runs / seconds, all streams together
  LatencySummary latency_ms;      ///< of each batch run
  std::size_t weights_bytes = 0;
  std::size_t prepared_weights_bytes = 0;
  std::size_t arena_bytes = 0;     ///< per stream
  std::size_t scratch_bytes = 0;   ///< per stream
  std::size_t peak_rss_bytes = 0;  ///< of the process, up to the end of this batch size
};

/// A user error for options no sweep can run: fewer than one stream, more streams than threads
/// (each stream is a thread with its own OpenMP team), a duration that is not finite and > 0.
/// run_benchmark checks them first; a caller may check before printing anything.
void check_benchmark_options(const BenchmarkOptions& options);

/// Runs the sweep; `on_result` (optional) sees each batch size's result as soon as it is done.
std::vector<BatchResult> run_benchmark(
    const std::filesystem::path& model, const BenchmarkOptions& options,
    const std::function<void(const BatchResult&)>& on_result = {});

/// The model's inputs at `batch` made from `files` (see BenchmarkOptions::input_files).
std::vector<Tensor> load_bench_inputs(const std::vector<std::string>& files,
                                      const std::vector<TensorSignature>& inputs);

}  // namespace kiln::bench
