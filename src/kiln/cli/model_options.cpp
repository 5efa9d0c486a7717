#include "kiln/cli/model_options.h"

namespace kiln::cli {

void ModelOptions::add_to(CLI::App& command) {
  command.add_option("model", model, "ONNX model file")->required();
  command.add_option("--shape", shapes,
                     "fix an input's shape, NAME:D0,D1,... (repeatable; a symbolic batch "
                     "defaults to 1)");
  command.add_option("--threads", threads, "threads to use (default: all cores)")
      ->check(CLI::NonNegativeNumber);
}

SessionOptions ModelOptions::session_options() const {
  SessionOptions options;
  for (const std::string& text : shapes) {
    auto [name, dims] = onnx::parse_shape_argument(text);
    if (options.import.input_shapes.contains(name)) {
      throw_user_error("--shape given twice for input '{}'", name);
    }
    options.import.input_shapes.emplace(std::move(name), std::move(dims));
  }
  options.threads = threads;
  return options;
}

}  // namespace kiln::cli
