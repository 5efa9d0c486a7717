#pragma once

#include "kiln/compiler/pass.h"

namespace kiln::compiler {

struct CompileOptions {
  /// Fold BatchNormalization into the preceding Conv (off only to test the BN kernels).
  bool fold_batchnorm = true;
  /// Fuse elementwise ops into the Conv/MatMul/Gemm before them (off to compare with unfused).
  bool fuse_post_ops = true;
};

/// Runs kiln's whole pass pipeline on an imported graph: afterwards every value has a type,
/// constant subgraphs are folded and the graph is ready for a session.
void compile(ir::Graph& graph, const CompileOptions& options, PassContext& context);

}  // namespace kiln::compiler
