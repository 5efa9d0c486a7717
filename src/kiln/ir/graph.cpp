#include "kiln/ir/graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "kiln/core/error.h"

namespace kiln::ir {

// ---- Value ----

void Value::set_constant(Tensor data) {
  KILN_CHECK(!data.empty(), "constant '{}' set to an empty tensor", name_);
  set_type(data.dtype(), data.shape());
  constant_ = std::move(data);
}

std::string Value::type_string() const {
  if (!has_type()) return "?";
  return fmt::format("{}{}", dtype_name(dtype_), shape_.to_string());
}

// ---- Node ----

void Node::set_input(std::size_t i, Value* value) {
  if (i >= inputs_.size()) inputs_.resize(i + 1, nullptr);
  inputs_[i] = value;
}

std::string Node::describe() const {
  return fmt::format("node '{}' ({})", name_, op_name());
}

template <typename T>
const T* Node::find_attr(std::string_view name, std::string_view expected) const {
  auto it = attributes_.find(name);
  if (it == attributes_.end()) return nullptr;
  if (const T* v = std::get_if<T>(&it->second)) return v;
  throw_user_error("{}: attribute '{}' is {}, expected {}", describe(), name,
                   attribute_type_name(it->second), expected);
}

namespace {
[[noreturn]] void missing_attribute(const Node& node, std::string_view name) {
  throw_user_error("{}: required attribute '{}' is missing", node.describe(), name);
}
}  // namespace

std::int64_t Node::attr_int(std::string_view name, std::optional<std::int64_t> fallback) const {
  if (const auto* v = find_attr<std::int64_t>(name, "int")) return *v;
  if (!fallback) missing_attribute(*this, name);
  return *fallback;
}

float Node::attr_float(std::string_view name, std::optional<float> fallback) const {
  if (const auto* v = find_attr<float>(name, "float")) return *v;
  if (!fallback) missing_attribute(*this, name);
  return *fallback;
}

std::string Node::attr_string(std::string_view name, std::optional<std::string> fallback) const {
  if (const auto* v = find_attr<std::string>(name, "string")) return *v;
  if (!fallback) missing_attribute(*this, name);
  return *fallback;
}

std::vector<std::int64_t> Node::attr_ints(std::string_view name,
                                          std::optional<std::vector<std::int64_t>> fallback) const {
  if (const auto* v = find_attr<std::vector<std::int64_t>>(name, "ints")) return *v;
  if (!fallback) missing_attribute(*this, name);
  return *fallback;
}

std::vector<float> Node::attr_floats(std::string_view name,
                                     std::optional<std::vector<float>> fallback) const {
  if (const auto* v = find_attr<std::vector<float>>(name, "floats")) return *v;
  if (!fallback) missing_attribute(*this, name);
  return *fallback;
}

const Tensor& Node::attr_tensor(std::string_view name) const {
  if (const auto* v = find_attr<Tensor>(name, "tensor")) return *v;
  missing_attribute(*this, name);
}

// ---- Graph ----

Value* Graph::add_value(std::string name) {
  KILN_CHECK(!value_by_name_.contains(name), "duplicate value name '{}'", name);
  auto value = std::unique_ptr<Value>(new Value(std::move(name)));
  Value* raw = value.get();
  value_by_name_.emplace(raw->name(), raw);
  values_.push_back(std::move(value));
  return raw;
}

Value* Graph::add_constant(std::string name, Tensor data) {
  Value* v = add_value(std::move(name));
  v->set_constant(std::move(data));
  return v;
}

Node* Graph::add_node(OpKind op, std::string name, std::vector<Value*> inputs,
                      std::vector<Value*> outputs, Attributes attributes) {
  auto node = std::unique_ptr<Node>(new Node(op, std::move(name)));
  node->inputs_ = std::move(inputs);
  node->outputs_ = std::move(outputs);
  node->attributes_ = std::move(attributes);
  for (Value* out : node->outputs_) {
    KILN_CHECK(out != nullptr, "{} has a null output", node->describe());
    KILN_CHECK(out->producer_ == nullptr, "value '{}' already produced by '{}'", out->name(),
               out->producer_->name());
    out->producer_ = node.get();
  }
  Node* raw = node.get();
  nodes_.push_back(std::move(node));
  return raw;
}

void Graph::remove_node(Node* node) {
  for (Value* out : node->outputs_) {
    if (out->producer_ == node) out->producer_ = nullptr;
  }
  auto it = std::find_if(nodes_.begin(), nodes_.end(),
                         [node](const std::unique_ptr<Node>& n) { return n.get() == node; });
  KILN_CHECK(it != nodes_.end(), "removing a node that is not in the graph");
  nodes_.erase(it);
}

void Graph::replace_output(Node& node, std::size_t index, Value* value) {
  KILN_CHECK(value->producer_ == nullptr, "value '{}' is already produced by '{}'", value->name(),
             value->producer_->name());
  Value*& slot = node.outputs_.at(index);
  if (slot->producer_ == &node) slot->producer_ = nullptr;
  slot = value;
  value->producer_ = &node;
}

void Graph::replace_all_uses(Value* from, Value* to) {
  for (auto& node : nodes_) {
    for (Value*& in : node->inputs_) {
      if (in == from) in = to;
    }
  }
  for (Value*& out : outputs_) {
    if (out == from) out = to;
  }
}

void Graph::remove_unused_values() {
  std::unordered_set<const Value*> used(inputs_.begin(), inputs_.end());
  used.insert(outputs_.begin(), outputs_.end());
  for (auto& node : nodes_) {
    used.insert(node->inputs_.begin(), node->inputs_.end());
    used.insert(node->outputs_.begin(), node->outputs_.end());
  }
  std::erase_if(values_, [&](const std::unique_ptr<Value>& v) {
    if (used.contains(v.get())) return false;
    value_by_name_.erase(v->name());
    return true;
  });
}

void Graph::sort_topologically() {
  std::unordered_map<const Node*, int> pending;  // inputs not yet available
  std::unordered_map<const Value*, std::vector<Node*>> users;
  for (auto& node : nodes_) {
    int count = 0;
    for (Value* in : node->inputs_) {
      if (in != nullptr && in->producer_ != nullptr) {
        ++count;
        users[in].push_back(node.get());
      }
    }
    pending[node.get()] = count;
  }
  // Kahn's algorithm, always taking the earliest ready node so a sorted list stays as it is.
  std::vector<std::unique_ptr<Node>> sorted;
  sorted.reserve(nodes_.size());
  std::vector<std::size_t> position(nodes_.size());
  std::unordered_map<const Node*, std::size_t> index;
  for (std::size_t i = 0; i < nodes_.size(); ++i) index[nodes_[i].get()] = i;
  std::vector<std::size_t> ready_heap;
  auto push = [&](std::size_t i) {
    ready_heap.push_back(i);
    std::push_heap(ready_heap.begin(), ready_heap.end(), std::greater<>());
  };
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (pending[nodes_[i].get()] == 0) push(i);
  }
  while (!ready_heap.empty()) {
    std::pop_heap(ready_heap.begin(), ready_heap.end(), std::greater<>());
    const std::size_t i = ready_heap.back();
    ready_heap.pop_back();
    Node* node = nodes_[i].get();
    for (Value* out : node->outputs_) {
      auto it = users.find(out);
      if (it == users.end()) continue;
      for (Node* user : it->second) {
        if (--pending[user] == 0) push(index[user]);
      }
    }
    sorted.push_back(std::move(nodes_[i]));
  }
  if (sorted.size() != nodes_.size()) {
    for (auto& node : nodes_) {
      if (node) throw_user_error("the graph has a cycle through {}", node->describe());
    }
  }
  nodes_ = std::move(sorted);
}

std::string Graph::unique_name(std::string_view base) {
  std::string name(base);
  while (value_by_name_.contains(name)) name = fmt::format("{}_{}", base, next_name_id_++);
  return name;
}

Value* Graph::find_value(std::string_view name) const {
  auto it = value_by_name_.find(std::string(name));
  return it == value_by_name_.end() ? nullptr : it->second;
}

std::vector<Node*> Graph::nodes() const {
  std::vector<Node*> out;
  out.reserve(nodes_.size());
  for (const auto& n : nodes_) out.push_back(n.get());
  return out;
}

std::vector<Value*> Graph::values() const {
  std::vector<Value*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v.get());
  return out;
}

std::vector<Node*> Graph::consumers(const Value* value) const {
  std::vector<Node*> out;
  for (const auto& node : nodes_) {
    if (std::find(node->inputs_.begin(), node->inputs_.end(), value) != node->inputs_.end()) {
      out.push_back(node.get());
    }
  }
  return out;
}

std::unordered_map<const Value*, std::vector<Node*>> Graph::consumer_map() const {
  std::unordered_map<const Value*, std::vector<Node*>> map;
  for (const auto& node : nodes_) {
    for (Value* in : node->inputs_) {
      if (in == nullptr) continue;
      auto& list = map[in];
      if (list.empty() || list.back() != node.get()) list.push_back(node.get());
    }
  }
  return map;
}

bool Graph::is_graph_output(const Value* value) const {
  return std::find(outputs_.begin(), outputs_.end(), value) != outputs_.end();
}

void Graph::verify(bool require_types) const {
  std::unordered_set<const Value*> available;
  std::unordered_set<const Value*> owned;
  for (const auto& v : values_) {
    owned.insert(v.get());
    if (v->is_constant()) available.insert(v.get());
  }
  for (const Value* in : inputs_) {
    KILN_CHECK(owned.contains(in), "graph input is not owned by the graph");
    available.insert(in);
  }
  for (const auto& node : nodes_) {
    for (const Value* in : node->inputs_) {
      if (in == nullptr) continue;
      KILN_CHECK(owned.contains(in), "{} reads a value not owned by the graph", node->describe());
      KILN_CHECK(available.contains(in), "{} reads '{}' before it is computed", node->describe(),
                 in->name());
    }
    for (const Value* out : node->outputs_) {
      KILN_CHECK(owned.contains(out), "{} writes a value not owned by the graph", node->describe());
      KILN_CHECK(out->producer_ == node.get(), "{} output '{}' has another producer",
                 node->describe(), out->name());
      KILN_CHECK(!out->is_constant(), "{} output '{}' is also a constant", node->describe(),
                 out->name());
      KILN_CHECK(!require_types || out->has_type(), "{} output '{}' has no type", node->describe(),
                 out->name());
      available.insert(out);
    }
  }
  for (const Value* out : outputs_) {
    KILN_CHECK(available.contains(out), "graph output '{}' is never computed", out->name());
  }
}

std::string Graph::to_string() const {
  std::string text;
  for (const Value* in : inputs_) {
    text += fmt::format("input %{}: {}\n", in->name(), in->type_string());
  }
  for (const auto& node : nodes_) {
    std::vector<std::string> outs;
    for (const Value* out : node->outputs_) {
      outs.push_back(fmt::format("%{}: {}", out->name(), out->type_string()));
    }
    std::vector<std::string> ins;
    for (const Value* in : node->inputs_) {
      if (in == nullptr) {
        ins.emplace_back("_");
      } else if (in->is_constant()) {
        ins.push_back(fmt::format("%{} <const {}>", in->name(), in->type_string()));
      } else {
        ins.push_back(fmt::format("%{}", in->name()));
      }
    }
    std::vector<std::string> attrs;
    for (const auto& [name, value] : node->attributes_) {
      attrs.push_back(fmt::format("{}={}", name, format_attribute(value)));
    }
    text += fmt::format(
        "{} = {}({}){}  # {}\n", fmt::join(outs, ", "), node->op_name(), fmt::join(ins, ", "),
        attrs.empty() ? "" : fmt::format(" {{{}}}", fmt::join(attrs, ", ")), node->name());
  }
  for (const Value* out : outputs_) {
    text += fmt::format("output %{}: {}\n", out->name(), out->type_string());
  }
  return text;
}

}  // namespace kiln::ir
