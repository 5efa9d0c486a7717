#include "kiln/compiler/pipeline.h"

#include "kiln/compiler/passes/passes.h"

namespace kiln::compiler {

void compile(ir::Graph& graph, const CompileOptions& options, PassContext& context) {
#ifdef KILN_DEBUG_VERIFY
  context.verify_each_pass = true;
#endif
  std::vector<std::unique_ptr<Pass>> pipeline;
  // Types first: every later pass reads shapes, and folding turns shape subgraphs into
  // constants that the others can then match on.
  pipeline.push_back(passes::make_infer_and_fold_constants());
  pipeline.push_back(passes::make_eliminate_identity());
  if (options.fold_batchnorm) pipeline.push_back(passes::make_fold_batchnorm_into_conv());
  // After folding: the GELU's constants (sqrt 2, 1, 0.5) may come out of Constant chains.
  pipeline.push_back(passes::make_fuse_gelu());
  pipeline.push_back(passes::make_fuse_silu());
  // Last, so that whatever the rewrites above orphaned is dropped.
  pipeline.push_back(passes::make_eliminate_dead_nodes());

  graph.sort_topologically();
  for (auto& pass : pipeline) {
    const bool changed = with_context([&] { return fmt::format("in pass {}", pass->name()); },
                                      [&] { return pass->run(graph, context); });
    if (context.verify_each_pass) graph.verify(/*require_types=*/true);
    if (context.after_pass) context.after_pass(pass->name(), changed, graph);
  }
  graph.verify(/*require_types=*/true);
}

}  // namespace kiln::compiler
