#include "kiln/ir/post_ops.h"

#include <fmt/format.h>

#include "kiln/core/error.h"

namespace kiln::ir {

namespace {

constexpr std::string_view kOps = "kiln.post_ops";
constexpr std::string_view kSources = "kiln.post_op_sources";
constexpr std::string_view kOperands = "kiln.post_op_operands";

std::string attribute_prefix(std::size_t index) {
  return fmt::format("kiln.post_op.{}.", index);
}

template <typename T>
const T& get_attribute(const Node& node, std::string_view name) {
  auto it = node.attributes().find(name);
  KILN_CHECK(it != node.attributes().end(), "{}: post-op attribute '{}' missing", node.describe(),
             name);
  const T* value = std::get_if<T>(&it->second);
  KILN_CHECK(value != nullptr, "{}: post-op attribute '{}' has the wrong type", node.describe(),
             name);
  return *value;
}

}  // namespace

bool is_post_op_kind(OpKind op) {
  // The activations an accelerator library applies in a kernel's epilogue (oneDNN's eltwise
  // post-ops: Erf, Log, Softplus and the like have none, and would only run slower fused).
  switch (op) {
    case OpKind::kAdd:
    case OpKind::kSub:
    case OpKind::kMul:
    case OpKind::kDiv:
    case OpKind::kAbs:
    case OpKind::kClip:
    case OpKind::kElu:
    case OpKind::kExp:
    case OpKind::kGelu:
    case OpKind::kHardSigmoid:
    case OpKind::kHardSwish:
    case OpKind::kLeakyRelu:
    case OpKind::kNeg:
    case OpKind::kRelu:
    case OpKind::kSigmoid:
    case OpKind::kSilu:
    case OpKind::kSqrt:
    case OpKind::kTanh:
      return true;
    default:
      return false;
  }
}

bool has_post_ops(const Node& node) {
  return node.has_attribute(kOps);
}

std::vector<PostOp> post_ops(const Node& node) {
  if (!has_post_ops(node)) return {};
  const auto& ops = get_attribute<std::vector<std::string>>(node, kOps);
  const auto& sources = get_attribute<std::vector<std::string>>(node, kSources);
  const auto& operands = get_attribute<std::vector<std::int64_t>>(node, kOperands);
  KILN_CHECK(sources.size() == ops.size() && operands.size() == ops.size(),
             "{}: post-op attribute lists differ in length", node.describe());
  std::vector<PostOp> result;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    PostOp post_op;
    const std::optional<OpKind> op = find_op(ops[i]);
    KILN_CHECK(op.has_value() && is_post_op_kind(*op), "{}: '{}' is not a post-op", node.describe(),
               ops[i]);
    post_op.op = *op;
    post_op.source = sources[i];
    post_op.operand = operands[i];
    KILN_CHECK(post_op.operand < static_cast<std::ptrdiff_t>(node.input_count()),
               "{}: post-op operand {} past the inputs", node.describe(), post_op.operand);
    const std::string prefix = attribute_prefix(i);
    for (auto it = node.attributes().lower_bound(prefix);
         it != node.attributes().end() && it->first.starts_with(prefix); ++it) {
      post_op.attributes.emplace(it->first.substr(prefix.size()), it->second);
    }
    result.push_back(std::move(post_op));
  }
  return result;
}

std::size_t own_input_count(const Node& node) {
  std::size_t count = node.input_count();
  for (const PostOp& post_op : post_ops(node)) {
    if (post_op.operand >= 0) count = std::min(count, static_cast<std::size_t>(post_op.operand));
  }
  return count;
}

Attributes attributes_with_post_op(const Node& node, const PostOp& post_op) {
  Attributes attributes = node.attributes();
  std::vector<std::string> ops, sources;
  std::vector<std::int64_t> operands;
  if (has_post_ops(node)) {
    ops = get_attribute<std::vector<std::string>>(node, kOps);
    sources = get_attribute<std::vector<std::string>>(node, kSources);
    operands = get_attribute<std::vector<std::int64_t>>(node, kOperands);
  }
  const std::string prefix = attribute_prefix(ops.size());
  ops.emplace_back(op_name(post_op.op));
  sources.push_back(post_op.source);
  operands.push_back(post_op.operand);
  attributes[std::string(kOps)] = ops;
  attributes[std::string(kSources)] = sources;
  attributes[std::string(kOperands)] = operands;
  for (const auto& [name, value] : post_op.attributes) attributes[prefix + name] = value;
  return attributes;
}

std::string fused_op_name(const Node& node) {
  std::string name(node.op_name());
  for (const PostOp& post_op : post_ops(node)) {
    name += '+';
    name += op_name(post_op.op);
  }
  return name;
}

}  // namespace kiln::ir
