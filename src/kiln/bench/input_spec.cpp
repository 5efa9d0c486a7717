#include "kiln/bench/input_spec.h"

#include <algorithm>

#include "kiln/core/error.h"

namespace kiln::bench {

InputSpec parse_input_spec(const std::string& text, const std::vector<TensorSignature>& inputs,
                           std::string_view form) {
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos) {
    if (inputs.size() != 1) {
      throw_user_error("--input '{}': the model has {} inputs; write {} for each", text,
                       inputs.size(), form);
    }
    return {0, text};
  }
  const std::string name = text.substr(0, eq);
  auto it = std::find_if(inputs.begin(), inputs.end(),
                         [&](const TensorSignature& s) { return s.name == name; });
  if (it == inputs.end()) {
    throw_user_error("--input '{}': the model has no input named '{}'", text, name);
  }
  return {static_cast<std::size_t>(it - inputs.begin()), text.substr(eq + 1)};
}

void require_every_input(const std::vector<Tensor>& tensors,
                         const std::vector<TensorSignature>& inputs) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (tensors[i].empty()) {
      throw_user_error("no --input given for the model's input '{}'", inputs[i].name);
    }
  }
}

}  // namespace kiln::bench
