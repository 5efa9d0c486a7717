// `kiln run MODEL`: over a dataset (a directory of tensors or an .info list) it runs the batched
// pipeline and prints the per-stage report; on single .npy inputs or seeded random data it runs
// once or in a loop, prints a summary of each output and the latency, and writes them as .npy.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "kiln/bench/dataset_pipeline.h"
#include "kiln/bench/input_checks.h"
#include "kiln/bench/input_spec.h"
#include "kiln/bench/interrupt.h"
#include "kiln/bench/random_input.h"
#include "kiln/bench/run_report.h"
#include "kiln/bench/system_info.h"
#include "kiln/cli/commands.h"
#include "kiln/cli/model_options.h"
#include "kiln/cli/option_checks.h"
#include "kiln/cli/output_paths.h"
#include "kiln/core/file_io.h"
#include "kiln/core/npy.h"
#include "kiln/core/progress.h"

namespace kiln::cli {

namespace {

struct RunOptions {
  ModelOptions model;
  std::vector<std::string> inputs;  ///< "file.npy", "NAME=file.npy", "DIR", "NAME=LIST.info"
  std::string output_dir;
  int loop = 1;
  int warmup = 0;
  std::uint32_t seed = 0;
  bool profile = false;
  // Dataset runs.
  std::int64_t batch = 0;  ///< 0: the model's own batch (a symbolic batch becomes 1)
  std::string outfmt = "bin";
  bool resume = false;
  bool overwrite = false;
  std::string summary;
  bool quiet = false;
  std::size_t queue_depth = 2;
  CLI::App* command = nullptr;  ///< to tell which options were given
};

SessionOptions session_options_for(const RunOptions& options) {
  SessionOptions session_options = options.model.session_options();
  session_options.profile = options.profile;
  if (options.batch > 0) session_options.import.default_batch = options.batch;
  return session_options;
}

// What the command reads, for the check that nothing it writes is one of them.
std::vector<CommandPath> command_inputs(const RunOptions& options) {
  std::vector<CommandPath> inputs = {{"MODEL", options.model.model}};
  for (const std::string& text : options.inputs) {
    const std::size_t eq = text.find('=');
    inputs.push_back({"--input", eq == std::string::npos ? text : text.substr(eq + 1)});
  }
  return inputs;
}

// The options that decide what a sample's outputs are, recorded for --resume.
std::vector<std::string> output_settings(const RunOptions& options) {
  std::vector<std::string> settings;
  for (const std::string& shape : options.model.shapes) settings.push_back("--shape " + shape);
  for (const std::string& input : options.inputs) settings.push_back("--input " + input);
  return settings;
}

std::vector<Tensor> load_inputs(const RunOptions& options, const Session& session) {
  const auto& signatures = session.inputs();
  std::vector<Tensor> tensors(signatures.size());
  if (options.inputs.empty()) return bench::random_inputs(signatures, options.seed);
  for (const std::string& text : options.inputs) {
    const bench::InputSpec spec = bench::parse_input_spec(text, signatures, "NAME=FILE.npy");
    const TensorSignature& signature = signatures[spec.input];
    Tensor tensor = read_npy(spec.source);
    if (tensor.dtype() != signature.dtype || tensor.shape() != signature.shape) {
      throw_user_error(
          "--input '{}': holds {}, the model's input '{}' is {}{} (use --shape "
          "{}:{} to compile for this shape)",
          spec.source, tensor.description(), signature.name, dtype_name(signature.dtype),
          signature.shape.to_string(), signature.name, fmt::join(tensor.shape().dims(), ","));
    }
    tensors[spec.input] = std::move(tensor);
  }
  bench::require_every_input(tensors, signatures);
  return tensors;
}

void print_output(const TensorSignature& signature, const Tensor& tensor) {
  fmt::print("output {} {}{}\n", signature.name, dtype_name(signature.dtype),
             signature.shape.to_string());
  if (tensor.dtype() != DType::kFloat32 || tensor.numel() == 0) return;
  auto values = tensor.span<float>();
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
  fmt::print("  min {:.6g}  max {:.6g}  mean {:.6g}  first [{:.5g}]\n", *lo, *hi, mean,
             fmt::join(values.subspan(0, std::min<std::size_t>(values.size(), 5)), ", "));
  // Classification logits: show the top classes of the first sample.
  const Shape& shape = tensor.shape();
  if (shape.rank() == 2 && shape[1] >= 10) {
    auto first = values.subspan(0, static_cast<std::size_t>(shape[1]));
    std::vector<std::size_t> order(first.size());
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + 5, order.end(),
                      [&](std::size_t a, std::size_t b) { return first[a] > first[b]; });
    fmt::print("  sample 0 top-5 classes:");
    for (std::size_t k = 0; k < 5; ++k) fmt::print(" {} ({:.4g})", order[k], first[order[k]]);
    fmt::print("\n");
  }
}

// Time per op type over the timed and warm-up runs, slowest first, with the kernels used.
void print_profile(const Session& session) {
  struct OpTotal {
    double ms = 0;
    std::int64_t nodes = 0;
    std::map<std::string, std::int64_t> implementations;
  };
  std::map<std::string, OpTotal> by_op;
  double total_ms = 0;
  std::int64_t runs = 1;
  for (const StepInfo& step : session.steps()) {
    OpTotal& t = by_op[step.op];
    t.ms += step.total_ms;
    ++t.nodes;
    ++t.implementations[step.implementation];
    total_ms += step.total_ms;
    runs = std::max(runs, step.calls);
  }
  std::vector<std::pair<std::string, OpTotal>> rows(by_op.begin(), by_op.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  fmt::print("profile over {} runs (ms per run):\n", runs);
  fmt::print("  {:<22} {:>6} {:>10} {:>7}  {}\n", "op", "nodes", "ms", "share", "kernels");
  for (const auto& [op, t] : rows) {
    std::vector<std::string> kernels;
    for (const auto& [name, count] : t.implementations) {
      kernels.push_back(fmt::format("{} x{}", name, count));
    }
    fmt::print("  {:<22} {:>6} {:>10.3f} {:>6.1f}%  {}\n", op, t.nodes,
               t.ms / static_cast<double>(runs), total_ms > 0 ? 100.0 * t.ms / total_ms : 0.0,
               fmt::join(kernels, ", "));
  }
}

// Compiles the model and says what it holds in memory.
Session compile(const RunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  Session session = Session::from_onnx(options.model.model, session_options_for(options));
  const std::chrono::duration<double, std::milli> compile_ms =
      std::chrono::steady_clock::now() - start;
  fmt::print(
      "compiled {} in {:.1f} ms: {} steps, {} threads, weights {:.1f} MiB, activation "
      "arena {:.1f} MiB, kernel scratch {:.1f} MiB\n",
      options.model.model, compile_ms.count(), session.steps().size(), session.threads(),
      session.constant_bytes() / 1048576.0, session.arena_bytes() / 1048576.0,
      session.scratch_bytes() / 1048576.0);
  bench::require_model_outputs(session.outputs().size(), options.model.model);
  if (options.batch > 0 && !session.inputs().empty()) {
    options.model.check_batch_agrees(options.batch, "--batch", session.inputs()[0].name);
  }
  return session;
}

void run_dataset(const RunOptions& options) {
  for (const char* single_only : {"--loop", "--seed"}) {
    if (options.command->count(single_only) > 0) {
      throw_user_error("{} applies to runs on random data or single .npy files, not datasets",
                       single_only);
    }
  }
  const bench::OutputFormat format = bench::parse_output_format(options.outfmt);
  if (options.resume && options.output_dir.empty()) {
    throw_user_error("--resume needs the --output directory of the interrupted run");
  }
  if (options.resume && options.overwrite) {
    throw_user_error("--resume keeps an earlier run's outputs, --overwrite deletes them: give one");
  }
  const std::vector<CommandPath> inputs = command_inputs(options);
  check_outputs_are_not_inputs({{"--summary", options.summary}}, inputs);
  Session session = compile(options);
  const std::vector<bench::DatasetSample> samples =
      bench::list_dataset(options.inputs, session.inputs());
  std::vector<std::filesystem::path> sample_files;
  for (const bench::DatasetSample& sample : samples) {
    sample_files.insert(sample_files.end(), sample.files.begin(), sample.files.end());
  }
  check_output_directory({"--output", options.output_dir}, inputs, sample_files);
  if (options.batch > 0 && session.inputs()[0].shape.rank() > 0 &&
      session.inputs()[0].shape[0] != options.batch) {
    throw_user_error(
        "--batch {}: the model's input '{}' has a fixed batch of {}; export it with a dynamic "
        "batch dimension",
        options.batch, session.inputs()[0].name, session.inputs()[0].shape[0]);
  }
  const bench::ReportContext context =
      bench::ReportContext::collect("run", options.model.model, session.threads());

  // Untimed runs first (default one), so the first batch's one-time costs (page faults in the
  // arena, oneDNN's lazy setup) do not land in the inference statistics; e2e still covers every
  // batch of the dataset.
  const int warmup = options.command->count("--warmup") > 0 ? options.warmup : 1;
  if (warmup > 0) {
    const std::vector<Tensor> warmup_inputs = bench::random_inputs(session.inputs(), 0);
    std::vector<Tensor> warmup_outputs;
    for (const TensorSignature& s : session.outputs())
      warmup_outputs.emplace_back(s.dtype, s.shape);
    for (int i = 0; i < warmup; ++i) session.run(warmup_inputs, warmup_outputs);
  }

  ProgressDisplay progress(stdout, ProgressDisplay::mode_for(stdout, options.quiet), "kiln run");
  bench::InterruptScope interrupt;
  bench::DatasetRunOptions run_options;
  run_options.output_dir = options.output_dir;
  run_options.model_name = std::filesystem::path(options.model.model).filename().string();
  run_options.model_sha256 = context.model_sha256;
  run_options.settings = output_settings(options);
  run_options.overwrite = options.overwrite;
  run_options.format = format;
  run_options.queue_capacity = options.queue_depth;
  run_options.resume = options.resume;
  run_options.stop = &interrupt.requested();
  run_options.on_progress = [&](const bench::DatasetProgress& p) {
    progress.update(p.samples_done, p.samples_total, p.elapsed_seconds);
  };
  const bench::DatasetRunReport report = bench::run_dataset(session, samples, run_options);
  progress.finish();

  fmt::print("{}", bench::format_run_report(report, bench::peak_rss_bytes()));
  if (options.profile) print_profile(session);
  if (!options.summary.empty()) {
    const nlohmann::json json =
        bench::run_report_json(report, context, session, options.output_dir, format);
    write_file_atomically(options.summary, json.dump(2) + "\n");
    fmt::print("wrote {}\n", options.summary);
  }
  if (report.interrupted) {
    fmt::print(stderr,
               "kiln: interrupted after {} of {} samples; finished outputs are complete, run "
               "again with --resume to finish\n",
               report.samples_run + report.samples_skipped, report.samples_total);
    throw CLI::RuntimeError(130);
  }
}

void run_model(const RunOptions& options) {
  if (!options.inputs.empty() && bench::is_dataset_spec(options.inputs[0])) {
    run_dataset(options);
    return;
  }
  for (const char* dataset_only :
       {"--outfmt", "--resume", "--overwrite", "--summary", "--queue-depth"}) {
    if (options.command->count(dataset_only) > 0) {
      throw_user_error("{} applies to runs over a dataset (--input DIR or LIST.info)",
                       dataset_only);
    }
  }
  Session session = compile(options);

  std::vector<Tensor> inputs = load_inputs(options, session);
  std::vector<Tensor> outputs;
  for (const TensorSignature& s : session.outputs()) outputs.emplace_back(s.dtype, s.shape);

  for (int i = 0; i < options.warmup; ++i) session.run(inputs, outputs);
  std::vector<double> latencies_ms;
  latencies_ms.reserve(static_cast<std::size_t>(options.loop));
  for (int i = 0; i < options.loop; ++i) {
    const auto start = std::chrono::steady_clock::now();
    session.run(inputs, outputs);
    latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) print_output(session.outputs()[i], outputs[i]);

  const double mean = std::accumulate(latencies_ms.begin(), latencies_ms.end(), 0.0) /
                      static_cast<double>(latencies_ms.size());
  const auto [lo, hi] = std::minmax_element(latencies_ms.begin(), latencies_ms.end());
  const std::int64_t batch = session.inputs().empty() || session.inputs()[0].shape.rank() == 0
                                 ? 1
                                 : session.inputs()[0].shape[0];
  fmt::print(
      "latency over {} run{}: mean {:.3f} ms, min {:.3f} ms, max {:.3f} ms; {:.2f} "
      "samples/s at batch {}\n",
      latencies_ms.size(), latencies_ms.size() == 1 ? "" : "s", mean, *lo, *hi,
      1000.0 * static_cast<double>(batch) / mean, batch);

  if (options.profile) print_profile(session);

  if (!options.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.output_dir, ec);
    if (ec)
      throw_user_error("--output '{}': cannot create directory: {}", options.output_dir,
                       ec.message());
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      // Output names may contain characters a file name cannot (":" or "/"); keep it simple.
      std::string file = session.outputs()[i].name;
      std::replace_if(
          file.begin(), file.end(), [](char c) { return c == '/' || c == ':'; }, '_');
      const std::filesystem::path path =
          std::filesystem::path(options.output_dir) / (file + ".npy");
      check_outputs_are_not_inputs({{"--output", path}}, command_inputs(options));
      write_npy(path, outputs[i]);
      fmt::print("wrote {}\n", path.string());
    }
  }
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand(
      "run",
      "run a model over a dataset in batches (per-stage report), or on .npy inputs / seeded "
      "random data");
  options->command = command;
  options->model.add_to(*command);
  command
      ->add_option("--input", options->inputs,
                   "a dataset: DIR of .bin/.npy samples or LIST.info (NAME=DIR,... for several "
                   "inputs); or one tensor: FILE.npy / NAME=FILE.npy (default: seeded random "
                   "data)")
      ->delimiter(',');
  command->add_option("--output", options->output_dir,
                      "directory for the outputs: <stem>_<k>.<outfmt> per sample for a dataset, "
                      "<output name>.npy otherwise");
  command
      ->add_option("--batch", options->batch,
                   "batch size to compile for (the model needs a dynamic batch dimension); "
                   "a dataset's last partial batch is padded")
      ->check(integer_in_range(1, std::numeric_limits<std::int64_t>::max()));
  command->add_option("--outfmt", options->outfmt, "dataset output files: bin, npy or txt")
      ->default_str("bin");
  command->add_flag("--resume", options->resume,
                    "skip samples whose outputs in --output are already complete (the model "
                    "and options must be those that wrote them)");
  command->add_flag("--overwrite", options->overwrite,
                    "delete an earlier run's outputs in --output first (without it, or --resume, "
                    "a directory holding them is refused)");
  command->add_option("--summary", options->summary,
                      "write the dataset run's report as JSON to this file");
  command
      ->add_option("--queue-depth", options->queue_depth,
                   "batches each queue between pipeline stages may hold")
      ->check(integer_in_range(1))
      ->default_str("2");
  command->add_flag("--quiet", options->quiet, "no progress display");
  command->add_option("--loop", options->loop, "number of timed runs")->check(integer_in_range(1));
  command
      ->add_option("--warmup", options->warmup,
                   "untimed runs before timing (default: 0, or 1 before a dataset)")
      ->check(integer_in_range(0));
  command->add_option("--seed", options->seed, "seed of the random input data");
  command->add_flag("--profile", options->profile,
                    "time every node; print a table per op type with the kernels chosen");
  command->callback([options] { run_model(*options); });
}

}  // namespace kiln::cli
