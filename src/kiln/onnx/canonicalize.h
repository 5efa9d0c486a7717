#pragma once

// Bringing each ONNX node, whatever its opset, to kiln's canonical op meaning (ONNX opset 13
// plus the conventions of ir/op_kind.h). Internal to the onnx layer.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/ir/graph.h"

namespace kiln::onnx {

/// One node on its way into the graph. It starts as a plain copy of the ONNX node (op type,
/// inputs with null for absent ones, outputs with null for unnamed ones, attributes) and is
/// rewritten until its op type is a kiln op with kiln's meaning.
struct NodeDraft {
  std::string name;
  std::string op_type;
  std::vector<ir::Value*> inputs;
  std::vector<ir::Value*> outputs;
  ir::Attributes attributes;
};

/// What canonicalisation may ask about the model and add to the graph.
class ImportScope {
 public:
  virtual ~ImportScope() = default;
  virtual ir::Graph& graph() = 0;
  /// The model's default-domain opset.
  virtual std::int64_t opset() const = 0;
  /// Whether a node or a graph output reads `value`.
  virtual bool is_used(const ir::Value* value) const = 0;
  /// The element type ONNX's model or shape inference gives `value`, when it is a kiln dtype.
  virtual std::optional<DType> onnx_dtype(const ir::Value* value) const = 0;
  /// The rank ONNX's model or shape inference gives `value`, when known.
  virtual std::optional<std::size_t> onnx_rank(const ir::Value* value) const = 0;
  /// A node name not used yet, built from `base`.
  virtual std::string unique_node_name(std::string_view base) = 0;
};

/// Whether kiln imports ONNX nodes of this op type (Constant included: its nodes become
/// constant values and are not drafted).
bool is_supported_onnx_op(std::string_view op_type);

/// Rewrites one drafted node into the nodes to add to the graph, in order. Bad attributes and
/// uses kiln does not support (a Dropout mask that is read, ...) are user errors.
std::vector<NodeDraft> canonicalize_node(NodeDraft draft, ImportScope& scope);

}  // namespace kiln::onnx
