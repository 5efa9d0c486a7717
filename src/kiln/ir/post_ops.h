#pragma once

// Elementwise ops fused into the node that computes their input (Conv, ConvTranspose, MatMul,
// Gemm): the node applies them, in order, to its own result before writing its output, so the
// activation, bias, per-channel scale or residual Add costs no pass over memory of its own.
//
// They live in the fused node's attributes, so every graph printer, the plan and --explain see
// them: "kiln.post_ops" (op names), "kiln.post_op_sources" (the nodes they came from),
// "kiln.post_op_operands" (for a binary op the fused node's input index of its other operand,
// -1 for a unary one), and each op's own attributes as "kiln.post_op.<i>.<name>". A binary
// post-op's operand is an extra input of the fused node, after the node's own inputs; the
// fused node's result is always the binary op's first operand (Sub and Div are fused only so).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/ir/graph.h"

namespace kiln::ir {

struct PostOp {
  OpKind op = OpKind::kRelu;
  Attributes attributes;        ///< the source node's attributes (Clip's min/max as floats)
  std::ptrdiff_t operand = -1;  ///< the fused node's input index of the second operand, or -1
  std::string source;           ///< the name of the node it came from
};

/// The ops that may be fused as post-ops: the common activations and the four arithmetic binaries.
bool is_post_op_kind(OpKind op);

/// The node's post-ops, in application order (none for an unfused node).
std::vector<PostOp> post_ops(const Node& node);
bool has_post_ops(const Node& node);

/// How many of the node's inputs are its op's own (the rest are post-op operands).
std::size_t own_input_count(const Node& node);

/// The node's attributes with `post_op` appended (its `operand` must already be the index the
/// operand will have among the fused node's inputs).
Attributes attributes_with_post_op(const Node& node, const PostOp& post_op);

/// "Conv+Relu", "MatMul+Add+Gelu": the op and its post-ops, for profiles and --explain.
std::string fused_op_name(const Node& node);

}  // namespace kiln::ir
