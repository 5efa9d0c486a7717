// `--input [NAME=]SOURCE`, as `kiln run` and `kiln bench` take it: which model input a source is
// for, and the check that every input got one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/core/tensor.h"
#include "kiln/runtime/session.h"

namespace kiln::bench {

struct InputSpec {
  std::size_t input = 0;  ///< index into the model's inputs
  std::string source;     ///< a file, directory or list
};

/// Parses "NAME=SOURCE", or "SOURCE" for a single-input model. A user error names `text` and
/// says what is wrong (several inputs but no NAME, an unknown NAME); `form` shows the expected
/// form in it ("NAME=FILE.npy").
InputSpec parse_input_spec(const std::string& text, const std::vector<TensorSignature>& inputs,
                           std::string_view form);

/// A user error naming the first model input whose tensor is still empty.
void require_every_input(const std::vector<Tensor>& tensors,
                         const std::vector<TensorSignature>& inputs);

}  // namespace kiln::bench
