#pragma once

#include <array>

#include "kiln/kernels/kernel.h"

namespace kiln::kernels {

/// What every op must have: shape inference and a reference kernel. The reference kernel is the
/// oracle that optimized kernels are tested against, and what constant folding runs, so each
/// op's math is written once.
struct OpDefinition {
  InferFn infer = nullptr;
  KernelFactory reference = nullptr;
};

using OpDefinitionTable = std::array<OpDefinition, ir::kOpCount>;

/// The definition of `op`. Every op of ir::KILN_OP_LIST has one (a unit test checks it).
const OpDefinition& op_definition(ir::OpKind op);

/// The reference kernel of `node`, its post-ops included (kernels/post_op_chain.h); null with
/// `why_not` set when the op's reference declines.
std::unique_ptr<Kernel> create_reference_kernel(const ir::Node& node, const KernelOptions& options,
                                                std::string& why_not);

/// Infers the node's output types and stores them on its output values.
void infer_node_types(ir::Node& node);

}  // namespace kiln::kernels
