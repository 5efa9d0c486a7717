// `kiln run MODEL`: runs a model once or in a loop on given .npy inputs or seeded random data,
// prints a summary of each output and the latency, and writes the outputs as .npy.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <random>

#include "kiln/cli/commands.h"
#include "kiln/cli/model_options.h"
#include "kiln/core/npy.h"

namespace kiln::cli {

namespace {

struct RunOptions {
  ModelOptions model;
  std::vector<std::string> inputs;  ///< "file.npy" or "NAME=file.npy"
  std::string output_dir;
  int loop = 1;
  int warmup = 0;
  std::uint32_t seed = 0;
  bool profile = false;
};

Tensor random_input(const TensorSignature& signature, std::mt19937& rng) {
  Tensor t(signature.dtype, signature.shape);
  if (signature.dtype == DType::kFloat32) {
    std::normal_distribution<float> normal(0.f, 1.f);
    for (float& v : t.span<float>()) v = normal(rng);
  }  // other dtypes: zeros, always a valid index or mask
  return t;
}

std::vector<Tensor> load_inputs(const RunOptions& options, const Session& session) {
  const auto& signatures = session.inputs();
  std::vector<Tensor> tensors(signatures.size());
  std::mt19937 rng(options.seed);
  if (options.inputs.empty()) {
    for (std::size_t i = 0; i < signatures.size(); ++i)
      tensors[i] = random_input(signatures[i], rng);
    return tensors;
  }
  for (std::size_t k = 0; k < options.inputs.size(); ++k) {
    const std::string& text = options.inputs[k];
    std::string name;
    std::string path = text;
    if (auto eq = text.find('='); eq != std::string::npos) {
      name = text.substr(0, eq);
      path = text.substr(eq + 1);
    } else if (signatures.size() == 1) {
      name = signatures[0].name;
    } else {
      throw_user_error("--input '{}': the model has {} inputs; write NAME=FILE.npy", text,
                       signatures.size());
    }
    auto it = std::find_if(signatures.begin(), signatures.end(),
                           [&](const TensorSignature& s) { return s.name == name; });
    if (it == signatures.end()) {
      throw_user_error("--input '{}': the model has no input named '{}'", text, name);
    }
    const std::size_t index = static_cast<std::size_t>(it - signatures.begin());
    Tensor tensor = read_npy(path);
    if (tensor.dtype() != it->dtype || tensor.shape() != it->shape) {
      throw_user_error(
          "--input '{}': holds {}, the model's input '{}' is {}{} (use --shape "
          "{}:{} to compile for this shape)",
          path, tensor.description(), name, dtype_name(it->dtype), it->shape.to_string(), name,
          fmt::join(tensor.shape().dims(), ","));
    }
    tensors[index] = std::move(tensor);
  }
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    if (tensors[i].empty()) {
      throw_user_error("no --input given for the model's input '{}'", signatures[i].name);
    }
  }
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

void run_model(const RunOptions& options) {
  const auto compile_start = std::chrono::steady_clock::now();
  SessionOptions session_options = options.model.session_options();
  session_options.profile = options.profile;
  Session session = Session::from_onnx(options.model.model, session_options);
  const std::chrono::duration<double, std::milli> compile_ms =
      std::chrono::steady_clock::now() - compile_start;
  fmt::print(
      "compiled {} in {:.1f} ms: {} steps, {} threads, weights {:.1f} MiB, activation "
      "arena {:.1f} MiB, kernel scratch {:.1f} MiB\n",
      options.model.model, compile_ms.count(), session.steps().size(), session.threads(),
      session.constant_bytes() / 1048576.0, session.arena_bytes() / 1048576.0,
      session.scratch_bytes() / 1048576.0);

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
      write_npy(path, outputs[i]);
      fmt::print("wrote {}\n", path.string());
    }
  }
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand(
      "run", "run a model on .npy inputs (or seeded random data) and write its outputs");
  options->model.add_to(*command);
  command->add_option("--input", options->inputs,
                      "input tensor as .npy: FILE, or NAME=FILE for models with several inputs "
                      "(default: seeded random data)");
  command->add_option("--output", options->output_dir, "directory to write each output as .npy");
  command->add_option("--loop", options->loop, "number of timed runs")->check(CLI::PositiveNumber);
  command->add_option("--warmup", options->warmup, "untimed runs before timing")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--seed", options->seed, "seed of the random input data");
  command->add_flag("--profile", options->profile,
                    "time every node; print a table per op type with the kernels chosen");
  command->callback([options] { run_model(*options); });
}

}  // namespace kiln::cli
