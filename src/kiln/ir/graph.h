#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kiln/core/tensor.h"
#include "kiln/ir/attribute.h"
#include "kiln/ir/op_kind.h"

namespace kiln::ir {

class Node;

/// A tensor flowing through the graph: a graph input, a node output, or a constant (weights,
/// folded shape arithmetic). dtype and shape are known once shape inference has run.
class Value {
 public:
  const std::string& name() const { return name_; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  bool has_type() const { return dtype_ != DType::kUndefined && has_shape_; }
  void set_type(DType dtype, Shape shape) {
    dtype_ = dtype;
    shape_ = std::move(shape);
    has_shape_ = true;
  }

  bool is_constant() const { return !constant_.empty(); }
  /// The constant's data; an empty Tensor when the value is computed at run time.
  const Tensor& constant() const { return constant_; }
  /// Makes this value a constant with the given data (its type follows the data).
  void set_constant(Tensor data);

  /// The node computing this value; null for graph inputs and constants.
  Node* producer() const { return producer_; }

  /// "float32[1,64,56,56]", or "?" before shape inference.
  std::string type_string() const;

 private:
  friend class Graph;
  explicit Value(std::string name) : name_(std::move(name)) {}

  std::string name_;
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  bool has_shape_ = false;
  Tensor constant_;
  Node* producer_ = nullptr;
};

/// One operation. Inputs may contain null for an absent optional input (ONNX's empty name).
class Node {
 public:
  const std::string& name() const { return name_; }
  OpKind op() const { return op_; }
  std::string_view op_name() const { return ir::op_name(op_); }

  std::size_t input_count() const { return inputs_.size(); }
  std::size_t output_count() const { return outputs_.size(); }
  /// Input i, or null when absent (optional and not given, or i past the end).
  Value* input(std::size_t i) const { return i < inputs_.size() ? inputs_[i] : nullptr; }
  Value* output(std::size_t i) const { return outputs_.at(i); }
  const std::vector<Value*>& inputs() const { return inputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }
  void set_input(std::size_t i, Value* value);

  const Attributes& attributes() const { return attributes_; }
  Attributes& attributes() { return attributes_; }
  bool has_attribute(std::string_view name) const { return attributes_.contains(name); }

  /// Typed attribute getters. Absent -> `fallback` (or a user error when there is none);
  /// present with another type -> a user error naming the node, op and attribute.
  std::int64_t attr_int(std::string_view name, std::optional<std::int64_t> fallback = {}) const;
  float attr_float(std::string_view name, std::optional<float> fallback = {}) const;
  std::string attr_string(std::string_view name, std::optional<std::string> fallback = {}) const;
  std::vector<std::int64_t> attr_ints(std::string_view name,
                                      std::optional<std::vector<std::int64_t>> fallback = {}) const;
  std::vector<float> attr_floats(std::string_view name,
                                 std::optional<std::vector<float>> fallback = {}) const;
  const Tensor& attr_tensor(std::string_view name) const;

  /// "node 'conv1' (Conv)" — the prefix of every error about this node.
  std::string describe() const;

 private:
  friend class Graph;
  Node(OpKind op, std::string name) : name_(std::move(name)), op_(op) {}

  template <typename T>
  const T* find_attr(std::string_view name, std::string_view expected) const;

  std::string name_;
  OpKind op_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  Attributes attributes_;
};

/// The model: values, nodes in topological order, and the graph's inputs and outputs.
/// The Graph owns every Value and Node; pointers stay valid until removed.
class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  Graph(Graph&&) = default;
  Graph& operator=(Graph&&) = default;

  /// A new value; `name` must be unique (use unique_name() to make one).
  Value* add_value(std::string name);
  Value* add_constant(std::string name, Tensor data);
  /// A new node appended at the end of the node list; sets itself as producer of its outputs.
  Node* add_node(OpKind op, std::string name, std::vector<Value*> inputs,
                 std::vector<Value*> outputs, Attributes attributes = {});
  /// Removes a node (its outputs stay, with no producer).
  void remove_node(Node* node);
  /// Makes `node` write `value` (which no node produces) as its output `index` instead.
  void replace_output(Node& node, std::size_t index, Value* value);
  /// Replaces every use of `from` (node inputs and graph outputs) by `to`.
  void replace_all_uses(Value* from, Value* to);
  /// Removes values no node or graph output uses and no node produces (keeps graph inputs).
  void remove_unused_values();
  /// Reorders nodes topologically (stable for an already sorted list); throws on a cycle.
  void sort_topologically();

  /// A name not used by any value yet, built from `base`.
  std::string unique_name(std::string_view base);
  Value* find_value(std::string_view name) const;

  std::vector<Node*> nodes() const;
  std::size_t node_count() const { return nodes_.size(); }
  std::vector<Value*> values() const;
  /// Nodes that read `value`, in node order.
  std::vector<Node*> consumers(const Value* value) const;
  /// Consumers of every value at once (one pass over the nodes).
  std::unordered_map<const Value*, std::vector<Node*>> consumer_map() const;
  bool is_graph_output(const Value* value) const;

  std::vector<Value*>& inputs() { return inputs_; }
  const std::vector<Value*>& inputs() const { return inputs_; }
  std::vector<Value*>& outputs() { return outputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }

  /// Checks structural invariants (every input produced before use, unique names, outputs
  /// produced, types known when `require_types`); throws an internal error naming the problem.
  void verify(bool require_types = false) const;

  /// A readable listing, one node per line: `%out: float32[1,64] = Conv(%x, %w)
  /// {kernel_shape=[3,3]}`.
  std::string to_string() const;

 private:
  std::vector<std::unique_ptr<Value>> values_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unordered_map<std::string, Value*> value_by_name_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  std::uint64_t next_name_id_ = 0;
};

}  // namespace kiln::ir
