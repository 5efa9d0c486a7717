#include "kiln/cli/model_options.h"

#include "kiln/bench/input_checks.h"
#include "kiln/cli/option_checks.h"

namespace kiln::cli {

void ModelOptions::add_to(CLI::App& command) {
  command.add_option("model", model, "ONNX model file")->required();
  command.add_option("--shape", shapes,
                     "fix an input's shape, NAME:D0,D1,... (repeatable; a symbolic batch "
                     "defaults to 1)");
  command
      .add_option("--threads", threads,
                  "threads to use (default: all cores; more than the cores is capped)")
      ->check(integer_in_range(0));
}

SessionOptions ModelOptions::session_options() const {
  bench::require_regular_file(model, "model");
  SessionOptions options;
  for (const std::string& text : shapes) {
    auto [name, dims] = onnx::parse_shape_argument(text);
    if (options.import.input_shapes.contains(name)) {
      throw_user_error("--shape given twice for input '{}'", name);
    }
    options.import.input_shapes.emplace(std::move(name), std::move(dims));
  }
  options.threads = bounded_thread_count(threads);
  return options;
}

void ModelOptions::check_batch_agrees(std::int64_t batch, std::string_view batch_option,
                                      const std::string& batched_input) const {
  for (const std::string& text : shapes) {
    const auto [name, dims] = onnx::parse_shape_argument(text);
    if (name == batched_input && !dims.empty() && dims[0] != batch) {
      throw_user_error("{} {} conflicts with --shape {}, whose batch dimension is {}; give one",
                       batch_option, batch, text, dims[0]);
    }
  }
}

}  // namespace kiln::cli
