#pragma once

// Runs a node with post-ops (ir/post_ops.h) as its op's kernel followed by one reference kernel
// per post-op: the oracle that fused optimized kernels are tested against, what constant folding
// runs on a fused node, and the fallback when no optimized kernel takes the fused node.

#include <memory>
#include <string>

#include "kiln/kernels/kernel.h"

namespace kiln::kernels {

/// A kernel for the fused `node`: `base` runs the node's own op on its own inputs (see
/// ir::own_input_count), then each post-op's reference kernel runs on the result. Returns `base`
/// itself when the node has no post-ops.
std::unique_ptr<Kernel> with_post_op_chain(const ir::Node& node, std::unique_ptr<Kernel> base,
                                           const KernelOptions& options);

}  // namespace kiln::kernels
