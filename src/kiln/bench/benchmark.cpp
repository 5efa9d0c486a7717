#include "kiln/bench/benchmark.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <latch>
#include <thread>

#include "kiln/bench/dataset_source.h"
#include "kiln/bench/input_checks.h"
#include "kiln/bench/input_spec.h"
#include "kiln/bench/random_input.h"
#include "kiln/bench/system_info.h"
#include "kiln/core/error.h"
#include "kiln/core/npy.h"

namespace kiln::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// One stream's timed loop; its latencies in ms.
struct StreamRun {
  std::vector<double> latencies_ms;
  std::exception_ptr error;
};

}  // namespace

std::vector<Tensor> load_bench_inputs(const std::vector<std::string>& files,
                                      const std::vector<TensorSignature>& inputs) {
  std::vector<Tensor> tensors(inputs.size());
  for (const std::string& text : files) {
    const InputSpec spec = parse_input_spec(text, inputs, "NAME=FILE.npy");
    const TensorSignature& input = inputs[spec.input];
    const std::string& path = spec.source;
    const TensorSignature sample = sample_signature(input);
    const Tensor data = read_npy(path);
    const std::size_t sample_bytes =
        static_cast<std::size_t>(sample.shape.numel()) * dtype_size(sample.dtype);
    if (data.dtype() != sample.dtype || sample_bytes == 0 ||
        data.size_bytes() % sample_bytes != 0 || data.size_bytes() == 0) {
      throw_user_error(
          "--input '{}': holds {}; the model's input '{}' takes samples of {}{} (one or "
          "several stacked)",
          path, data.description(), input.name, dtype_name(sample.dtype), sample.shape.to_string());
    }
    // Repeat the file's samples to fill the batch.
    Tensor batched(input.dtype, input.shape);
    const std::size_t available = data.size_bytes() / sample_bytes;
    const auto batch = static_cast<std::size_t>(input.shape[0]);
    for (std::size_t slot = 0; slot < batch; ++slot) {
      std::memcpy(static_cast<std::byte*>(batched.raw()) + slot * sample_bytes,
                  static_cast<const std::byte*>(data.raw()) + (slot % available) * sample_bytes,
                  sample_bytes);
    }
    tensors[spec.input] = std::move(batched);
  }
  require_every_input(tensors, inputs);
  return tensors;
}

void check_benchmark_options(const BenchmarkOptions& options) {
  if (options.streams < 1) throw_user_error("--streams must be at least 1");
  if (options.iterations < 1 &&
      !(std::isfinite(options.duration_seconds) && options.duration_seconds > 0)) {
    throw_user_error("--duration {}: expected a finite number of seconds > 0",
                     options.duration_seconds);
  }
  const int total_threads = options.threads > 0 ? options.threads : logical_cores();
  // More streams than threads would oversubscribe the cores, and 100000 of them exhaust the
  // process's threads.
  if (options.streams > total_threads) {
    throw_user_error(
        "--streams {}: at most {}, one per thread (--threads {}, {} logical cores here)",
        options.streams, total_threads, total_threads, logical_cores());
  }
}

std::vector<BatchResult> run_benchmark(const std::filesystem::path& model,
                                       const BenchmarkOptions& options,
                                       const std::function<void(const BatchResult&)>& on_result) {
  check_benchmark_options(options);
  const int total_threads = options.threads > 0 ? options.threads : logical_cores();
  const int threads_per_stream = std::max(1, total_threads / options.streams);
  auto status = [&](const std::string& text) {
    if (options.on_status) options.on_status(text);
  };

  std::vector<BatchResult> results;
  for (const std::int64_t batch : options.batches) {
    if (batch < 1) throw_user_error("--batch {}: batch sizes must be positive", batch);
    BatchResult result;
    result.batch = batch;
    result.streams = options.streams;
    result.threads_per_stream = threads_per_stream;

    status(fmt::format("batch {}: compiling", batch));
    const Clock::time_point compile_start = Clock::now();
    SessionOptions session_options = options.session;
    session_options.import.default_batch = batch;
    session_options.threads = threads_per_stream;
    std::vector<Session> sessions;
    sessions.push_back(Session::from_onnx(model, session_options));
    require_model_outputs(sessions[0].outputs().size(), model);
    const std::vector<TensorSignature>& signature = sessions[0].inputs();
    if (!signature.empty() && signature[0].shape.rank() > 0 && signature[0].shape[0] != batch) {
      throw_user_error(
          "--batch {}: the model's input '{}' has a fixed batch of {} ({}); export it with a "
          "dynamic batch dimension",
          batch, signature[0].name, signature[0].shape[0], signature[0].shape.to_string());
    }
    for (int s = 1; s < options.streams; ++s) sessions.push_back(sessions[0].share_weights());
    result.compile_seconds = seconds_between(compile_start, Clock::now());

    const std::vector<Tensor> inputs = options.input_files.empty()
                                           ? random_inputs(signature, options.seed)
                                           : load_bench_inputs(options.input_files, signature);

    status(fmt::format("batch {}: warming up", batch));
    std::vector<StreamRun> runs(static_cast<std::size_t>(options.streams));
    std::latch warmed_up(options.streams);
    std::latch go(1);
    Clock::time_point start;
    // Stream 0 runs on this thread, the others on their own. This thread's OpenMP team (made
    // while compiling) would otherwise sit idle beside the streams' teams, and libgomp, seeing
    // more threads than cores, stops spinning between parallel regions: models of many small
    // kernels then ran 1.4x slower (LV-ViT-S, batch 1, 2 threads: 72 ms against 51 ms).
    auto stream = [&](int s) {
      StreamRun& run = runs[static_cast<std::size_t>(s)];
      Session& session = sessions[static_cast<std::size_t>(s)];
      std::vector<Tensor> outputs;
      for (const TensorSignature& out : session.outputs())
        outputs.emplace_back(out.dtype, out.shape);
      try {
        for (int i = 0; i < options.warmup; ++i) session.run(inputs, outputs);
      } catch (...) {
        run.error = std::current_exception();
      }
      if (s == 0) {
        // The coordinator: every stream warmed up, then the clock starts for all at once.
        warmed_up.arrive_and_wait();
        status(fmt::format("batch {}: timing", batch));
        start = Clock::now();
        go.count_down();
      } else {
        warmed_up.count_down();
        go.wait();
      }
      if (run.error) return;
      try {
        for (int i = 0;; ++i) {
          if (options.iterations > 0) {
            if (i >= options.iterations) break;
          } else if (i >= options.min_iterations &&
                     seconds_between(start, Clock::now()) >= options.duration_seconds) {
            break;
          }
          const Clock::time_point run_start = Clock::now();
          session.run(inputs, outputs);
          run.latencies_ms.push_back(seconds_between(run_start, Clock::now()) * 1000.0);
        }
      } catch (...) {
        run.error = std::current_exception();
      }
    };
    std::vector<std::thread> threads;
    for (int s = 1; s < options.streams; ++s) threads.emplace_back(stream, s);
    stream(0);
    for (std::thread& t : threads) t.join();
    result.seconds = seconds_between(start, Clock::now());
    for (const StreamRun& run : runs) {
      if (run.error) std::rethrow_exception(run.error);
    }

    std::vector<double> latencies;
    for (const StreamRun& run : runs) {
      latencies.insert(latencies.end(), run.latencies_ms.begin(), run.latencies_ms.end());
    }
    result.runs = latencies.size();
    result.samples_per_second =
        result.seconds > 0 ? static_cast<double>(batch) * result.runs / result.seconds : 0;
    result.latency_ms = summarize(std::move(latencies));
    result.weights_bytes = sessions[0].constant_bytes();
    result.prepared_weights_bytes = sessions[0].prepared_constant_bytes();
    result.arena_bytes = sessions[0].arena_bytes();
    result.scratch_bytes = sessions[0].scratch_bytes();
    result.peak_rss_bytes = peak_rss_bytes();
    sessions.clear();  // release this batch size's memory before compiling the next
    if (on_result) on_result(result);
    results.push_back(result);
  }
  return results;
}

}  // namespace kiln::bench
