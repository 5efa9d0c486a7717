#include "kiln/compiler/pipeline.h"

#include "kiln/compiler/passes/passes.h"

namespace kiln::compiler {

namespace {

using PassList = std::vector<std::unique_ptr<Pass>>;

bool run_pass(Pass& pass, ir::Graph& graph, PassContext& context) {
  const bool changed = with_context([&] { return fmt::format("in pass {}", pass.name()); },
                                    [&] { return pass.run(graph, context); });
  if (context.verify_each_pass) graph.verify(/*require_types=*/true);
  if (context.after_pass) context.after_pass(pass.name(), changed, graph);
  context.runs.push_back({std::string(pass.name()), changed, graph.node_count()});
  return changed;
}

// Runs the passes in order, again and again while any of them changes the graph: one rewrite
// can expose another (a fused activation frees a Conv's result for the next post-op).
void run_to_fixed_point(PassList& passes, ir::Graph& graph, PassContext& context) {
  constexpr int kMaxRounds = 16;
  for (int round = 0; round < kMaxRounds; ++round) {
    bool changed = false;
    for (auto& pass : passes) changed |= run_pass(*pass, graph, context);
    if (!changed) return;
  }
  throw_internal_error("the pass pipeline did not reach a fixed point in {} rounds", kMaxRounds);
}

}  // namespace

void compile(ir::Graph& graph, const CompileOptions& options, PassContext& context) {
#ifdef KILN_DEBUG_VERIFY
  context.verify_each_pass = true;
#endif
  graph.sort_topologically();

  // Types first: every later pass reads shapes, and folding turns shape subgraphs into
  // constants that the others can then match on.
  PassList simplify;
  simplify.push_back(passes::make_infer_and_fold_constants());
  simplify.push_back(passes::make_eliminate_identity());
  for (auto& pass : simplify) run_pass(*pass, graph, context);

  PassList fuse;
  // Before the ReduceMean rewrite: LayerNorm's means are ReduceMeans too.
  fuse.push_back(passes::make_fuse_layer_norm());
  fuse.push_back(passes::make_reduce_mean_to_global_pool());
  fuse.push_back(passes::make_fold_pad_into_conv());
  if (options.fold_batchnorm) {
    fuse.push_back(passes::make_fold_batchnorm_into_conv());
    // After the folding, for the BatchNorms no Conv takes.
    fuse.push_back(passes::make_batchnorm_to_scale_shift());
  }
  // After folding: the GELU's constants (sqrt 2, 1, 0.5) may come out of Constant chains.
  fuse.push_back(passes::make_fuse_gelu());
  fuse.push_back(passes::make_fuse_silu());
  // The Sigmoid a Silu replaced still reads the Conv's result until it is dropped, and a result
  // with two readers cannot take a post-op.
  fuse.push_back(passes::make_eliminate_dead_nodes());
  if (options.fuse_post_ops) fuse.push_back(passes::make_fuse_post_ops());
  run_to_fixed_point(fuse, graph, context);

  // Last, so that whatever the rewrites above orphaned is dropped.
  PassList cleanup;
  cleanup.push_back(passes::make_eliminate_dead_nodes());
  for (auto& pass : cleanup) run_pass(*pass, graph, context);
  graph.verify(/*require_types=*/true);
}

}  // namespace kiln::compiler
