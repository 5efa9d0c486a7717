#include "kiln/bench/dataset_pipeline.h"

#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "kiln/bench/bounded_queue.h"
#include "kiln/core/error.h"
#include "kiln/core/file_io.h"

namespace kiln::bench {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The items that travel between stages; `samples` are the batch's real samples, in order.
struct ReadBatch {
  std::size_t index = 0;
  std::vector<const DatasetSample*> samples;
  std::vector<std::vector<Tensor>> tensors;  // [sample][input]
};
struct InputBatch {
  std::size_t index = 0;
  std::vector<const DatasetSample*> samples;
  std::vector<Tensor> inputs;  // batched, padded
};
struct OutputBatch {
  std::size_t index = 0;
  std::vector<const DatasetSample*> samples;
  std::vector<Tensor> outputs;  // batched
};
struct FileBatch {
  std::size_t index = 0;
  std::size_t samples = 0;
  std::vector<std::pair<fs::path, std::string>> files;
};

// The first error of any stage wins; it cancels every queue so that no stage waits forever.
class FailureLatch {
 public:
  void add_cancel(std::function<void()> cancel) { cancels_.push_back(std::move(cancel)); }
  void fail(std::exception_ptr error) {
    {
      const std::lock_guard lock(mutex_);
      if (!error_) error_ = std::move(error);
    }
    for (auto& cancel : cancels_) cancel();
  }
  void rethrow_if_failed() {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
  std::vector<std::function<void()>> cancels_;
};

// Times one batch of a stage into its report.
class BatchTimer {
 public:
  BatchTimer(StageReport& report, std::size_t samples)
      : report_(report), samples_(samples), start_(Clock::now()) {}
  ~BatchTimer() {
    const double ms = milliseconds_since(start_);
    report_.busy_seconds += ms / 1000.0;
    report_.batch_ms.push_back(ms);
    report_.samples += samples_;
    ++report_.batches;
  }
  BatchTimer(const BatchTimer&) = delete;
  BatchTimer& operator=(const BatchTimer&) = delete;

 private:
  StageReport& report_;
  std::size_t samples_;
  Clock::time_point start_;
};

// Copies `source` into slot `slot` of the batched tensor `batch`.
void copy_into_slot(Tensor& batch, std::size_t slot, const Tensor& source) {
  const std::size_t bytes = source.size_bytes();
  std::memcpy(static_cast<std::byte*>(batch.raw()) + slot * bytes, source.raw(), bytes);
}

}  // namespace

DatasetRunReport run_dataset(Session& session, const std::vector<DatasetSample>& samples,
                             const DatasetRunOptions& options) {
  const std::vector<TensorSignature>& inputs = session.inputs();
  const std::vector<TensorSignature>& outputs = session.outputs();
  std::vector<TensorSignature> input_samples;
  std::vector<TensorSignature> output_samples;
  for (const TensorSignature& s : inputs) input_samples.push_back(sample_signature(s));
  for (const TensorSignature& s : outputs) output_samples.push_back(sample_signature(s));
  const auto batch = static_cast<std::size_t>(inputs.at(0).shape[0]);
  for (const TensorSignature& s : outputs) {
    if (s.shape.rank() == 0 || s.shape[0] != static_cast<std::int64_t>(batch)) {
      throw_user_error(
          "the model's output '{}' is {}, which has no batch dimension of {}; kiln run over "
          "a dataset needs outputs batched like the inputs",
          s.name, s.shape.to_string(), batch);
    }
  }

  DatasetRunReport report;
  report.batch = batch;
  report.samples_total = samples.size();
  report.queue_capacity = options.queue_capacity;

  const bool writing = !options.output_dir.empty();
  if (writing) {
    prepare_output_directory(options.output_dir, options.resume      ? ExistingOutputs::kResume
                                                 : options.overwrite ? ExistingOutputs::kOverwrite
                                                                     : ExistingOutputs::kRefuse);
    OutputsManifest manifest{.model = options.model_name,
                             .model_sha256 = options.model_sha256,
                             .settings = options.settings,
                             .format = options.format,
                             .outputs = output_samples,
                             .samples = {}};
    manifest.samples.reserve(samples.size());
    for (const DatasetSample& sample : samples) manifest.samples.push_back(sample.stem);
    if (options.resume) check_outputs_manifest(options.output_dir, manifest);
    // Written first: an output directory that cannot be written fails before any inference.
    write_outputs_manifest(options.output_dir, manifest);
  }

  // Samples to run: all, or those --resume finds incomplete.
  std::vector<const DatasetSample*> pending;
  for (const DatasetSample& sample : samples) {
    bool complete = writing && options.resume;
    for (std::size_t o = 0; complete && o < outputs.size(); ++o) {
      complete = output_is_complete(output_path(options.output_dir, sample.stem, o, options.format),
                                    output_samples[o], options.format);
    }
    if (complete) {
      ++report.samples_skipped;
    } else {
      pending.push_back(&sample);
    }
  }
  const std::size_t batch_count = (pending.size() + batch - 1) / batch;

  for (const char* name : {"read", "preprocess", "infer", "postprocess", "write"}) {
    report.stages.push_back({name, 0, 0, 0, {}});
  }
  StageReport& read_report = report.stages[0];
  StageReport& preprocess_report = report.stages[1];
  StageReport& infer_report = report.stages[2];
  StageReport& postprocess_report = report.stages[3];
  StageReport& write_report = report.stages[4];

  BoundedQueue<ReadBatch> read_queue(options.queue_capacity);
  BoundedQueue<InputBatch> input_queue(options.queue_capacity);
  BoundedQueue<OutputBatch> output_queue(options.queue_capacity);
  BoundedQueue<FileBatch> file_queue(options.queue_capacity);
  FailureLatch latch;
  latch.add_cancel([&] { read_queue.cancel(); });
  latch.add_cancel([&] { input_queue.cancel(); });
  latch.add_cancel([&] { output_queue.cancel(); });
  latch.add_cancel([&] { file_queue.cancel(); });

  // Each stage: its loop, then close its output queue so the next stage drains and ends.
  auto stage = [&](auto&& body, auto& next_queue) {
    return [&, body] {
      try {
        body();
      } catch (...) {
        latch.fail(std::current_exception());
      }
      next_queue.close();
    };
  };
  std::atomic<bool> interrupted{false};
  const Clock::time_point start = Clock::now();

  auto read = [&] {
    for (std::size_t b = 0; b < batch_count; ++b) {
      if (options.before_read) options.before_read(b);
      if (options.stop != nullptr && options.stop->load()) {
        interrupted = true;
        return;
      }
      ReadBatch item;
      item.index = b;
      const std::size_t first = b * batch;
      const std::size_t count = std::min(batch, pending.size() - first);
      {
        BatchTimer timer(read_report, count);
        for (std::size_t i = 0; i < count; ++i) {
          const DatasetSample* sample = pending[first + i];
          item.samples.push_back(sample);
          std::vector<Tensor> tensors;
          for (std::size_t k = 0; k < inputs.size(); ++k) {
            tensors.push_back(read_sample(sample->files[k], input_samples[k]));
          }
          item.tensors.push_back(std::move(tensors));
        }
      }
      if (!read_queue.push(std::move(item))) return;
    }
  };

  auto preprocess = [&] {
    while (std::optional<ReadBatch> item = read_queue.pop()) {
      InputBatch out;
      out.index = item->index;
      {
        BatchTimer timer(preprocess_report, item->samples.size());
        for (std::size_t k = 0; k < inputs.size(); ++k) {
          Tensor batched(inputs[k].dtype, inputs[k].shape);
          for (std::size_t slot = 0; slot < batch; ++slot) {
            // Padding repeats the last real sample: real data keeps every op in its usual
            // numeric range, and the padded results are dropped.
            const std::size_t source = std::min(slot, item->samples.size() - 1);
            copy_into_slot(batched, slot, item->tensors[source][k]);
          }
          out.inputs.push_back(std::move(batched));
        }
        out.samples = std::move(item->samples);
      }
      if (!input_queue.push(std::move(out))) return;
    }
  };

  auto infer = [&] {
    while (std::optional<InputBatch> item = input_queue.pop()) {
      OutputBatch out;
      out.index = item->index;
      {
        BatchTimer timer(infer_report, item->samples.size());
        for (const TensorSignature& s : outputs) out.outputs.emplace_back(s.dtype, s.shape);
        const Clock::time_point run_start = Clock::now();
        session.run(item->inputs, out.outputs);
        report.inference_ms.push_back(milliseconds_since(run_start));
        report.padded_samples += batch - item->samples.size();
        out.samples = std::move(item->samples);
      }
      if (!output_queue.push(std::move(out))) return;
    }
  };

  auto postprocess = [&] {
    while (std::optional<OutputBatch> item = output_queue.pop()) {
      FileBatch out;
      out.index = item->index;
      out.samples = item->samples.size();
      {
        BatchTimer timer(postprocess_report, item->samples.size());
        for (std::size_t i = 0; writing && i < item->samples.size(); ++i) {
          for (std::size_t o = 0; o < outputs.size(); ++o) {
            const Tensor& batched = item->outputs[o];
            const std::size_t bytes = batched.size_bytes() / batch;
            const Tensor sample =
                Tensor::view(output_samples[o].dtype, output_samples[o].shape,
                             static_cast<std::byte*>(const_cast<void*>(batched.raw())) + i * bytes);
            out.files.emplace_back(
                output_path(options.output_dir, item->samples[i]->stem, o, options.format),
                serialize_output(sample, options.format));
          }
        }
      }
      if (!file_queue.push(std::move(out))) return;
    }
  };

  std::size_t done = 0;
  auto write = [&] {
    while (std::optional<FileBatch> item = file_queue.pop()) {
      if (options.before_write) options.before_write(item->index);
      {
        BatchTimer timer(write_report, item->samples);
        for (const auto& [path, bytes] : item->files) write_file_atomically(path, bytes);
      }
      done += item->samples;
      if (options.on_progress) {
        options.on_progress({done, pending.size(), milliseconds_since(start) / 1000.0});
      }
    }
  };

  struct NoQueue {
    void close() {}
  } last;
  std::vector<std::thread> threads;
  threads.emplace_back(stage(read, read_queue));
  threads.emplace_back(stage(preprocess, input_queue));
  threads.emplace_back(stage(postprocess, file_queue));
  threads.emplace_back(stage(write, last));
  // Inference runs on the calling thread, whose OpenMP team the session already used: a team
  // on another thread would leave this one idle beside it, and libgomp, seeing more threads
  // than cores, stops spinning between parallel regions (1.4x slower on small kernels).
  stage(infer, output_queue)();
  for (std::thread& t : threads) t.join();
  report.wall_seconds = milliseconds_since(start) / 1000.0;
  latch.rethrow_if_failed();

  report.samples_run = done;
  report.interrupted = interrupted;
  report.queue_peaks = {read_queue.peak_size(), input_queue.peak_size(), output_queue.peak_size(),
                        file_queue.peak_size()};
  return report;
}

}  // namespace kiln::bench
