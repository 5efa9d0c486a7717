#pragma once

// Fixing the model's input shapes before ONNX shape inference. Internal to the onnx layer.

#include <onnx/onnx_pb.h>

#include <string>
#include <unordered_set>
#include <vector>

#include "kiln/core/dtype.h"
#include "kiln/core/shape.h"
#include "kiln/onnx/import.h"

namespace kiln::onnx {

/// A graph input that is fed at run time (not an initializer), with its fixed type.
struct FixedInput {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
};

/// The graph's run-time inputs: graph.input minus the names in `initializer_names` (old
/// exporters list every initializer as an input too).
std::vector<const ::onnx::ValueInfoProto*> runtime_inputs(
    const ::onnx::GraphProto& graph, const std::unordered_set<std::string>& initializer_names);

/// Turns the inputs named in `options.constant_inputs` into initializers (checking dtype and
/// shape against the model) and adds their names to `initializer_names`.
void add_constant_inputs(::onnx::GraphProto& graph,
                         std::unordered_set<std::string>& initializer_names,
                         const ImportOptions& options);

/// Gives every run-time input a static shape: the user's (`options.input_shapes`, checked
/// against the model), else the model's, with a symbolic first dim becoming
/// `options.default_batch`. Writes the shapes into the graph's input ValueInfos so ONNX shape
/// inference sees them. Returns the inputs in graph order.
std::vector<FixedInput> fix_input_shapes(::onnx::GraphProto& graph,
                                         const std::unordered_set<std::string>& initializer_names,
                                         const ImportOptions& options);

}  // namespace kiln::onnx
