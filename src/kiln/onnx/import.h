#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/core/tensor.h"
#include "kiln/ir/graph.h"

namespace kiln::onnx {

struct ImportOptions {
  /// Fixed shapes for named graph inputs (`--shape image:4,3,224,224`). Inputs not named here
  /// keep the model's static dims; a symbolic dim becomes `default_batch` if it is the first
  /// dim, else the import fails naming the input and dim. A given dim must equal the model's
  /// where that one is static; 0 is allowed (zero-size tensors), negatives are not.
  std::map<std::string, std::vector<std::int64_t>, std::less<>> input_shapes = {};
  std::int64_t default_batch = 1;
  /// Graph inputs whose values are known when compiling: they become constants with this data
  /// (dtype and shape must fit the model's input). kiln compiles for static shapes, so a
  /// shape-like input (Reshape's shape, ReduceSum's axes, ...) that a model takes from outside,
  /// as ONNX's operator test models do, must be given here.
  std::map<std::string, Tensor, std::less<>> constant_inputs = {};
};

struct ImportedModel {
  /// Graph inputs typed (dtype + fixed shape); initializers and Constant nodes as constant
  /// values; every node mapped to a kiln op with opset-13 meaning. Intermediate values have no
  /// type yet: the compiler's shape inference gives them one.
  ir::Graph graph;
  /// Static shapes that ONNX's own shape inference found for intermediate values, by name, so
  /// the compiler can cross-check its own inference.
  std::map<std::string, Shape, std::less<>> onnx_inferred_shapes;
  std::int64_t opset = 0;  ///< the model's default-domain opset
  std::string producer;    ///< producer_name + version, e.g. "pytorch 1.13.0"
  std::int64_t ir_version = 0;
  /// Things the user may want to know that did not stop the import, one line each (e.g. ONNX's
  /// own shape inference gave up on the model, so onnx_inferred_shapes is incomplete).
  std::vector<std::string> warnings;
};

/// Imports an ONNX file. External-data tensors are read relative to the file's directory.
/// Errors (not ONNX, truncated, checker failure, unsupported op/opset, bad attribute, missing
/// external data, bad --shape) are user Errors naming the file, node, op and reason.
ImportedModel import_model(const std::filesystem::path& path, const ImportOptions& options = {});

/// Imports from bytes already in memory; `name` is used in messages, `base_dir` for external data.
ImportedModel import_model_bytes(std::string_view bytes, const std::string& name,
                                 const std::filesystem::path& base_dir,
                                 const ImportOptions& options = {});

/// Parses "image:4,3,224,224" into a name and dims; a user error names the bad text.
std::pair<std::string, std::vector<std::int64_t>> parse_shape_argument(std::string_view text);

}  // namespace kiln::onnx
