#include "kiln/compiler/passes/passes.h"

namespace kiln::compiler::passes {

namespace {

class EliminateIdentity final : public Pass {
 public:
  std::string_view name() const override { return "eliminate_identity"; }

  bool run(ir::Graph& graph, PassContext& context) override {
    bool changed = false;
    for (ir::Node* node : graph.nodes()) {
      if (node->op() != ir::OpKind::kIdentity) continue;
      ir::Value* in = node->input(0);
      ir::Value* out = node->output(0);
      // A graph output keeps its name, so the identity stays when removing it would rename an
      // output or make one output alias an input or another output.
      if (graph.is_graph_output(out) && (in->producer() == nullptr || graph.is_graph_output(in))) {
        context.remarks.push_back(
            fmt::format("eliminate_identity: kept {}: it copies '{}' to graph output '{}'",
                        node->describe(), in->name(), out->name()));
        continue;
      }
      if (graph.is_graph_output(out)) {
        // Rename the other way round: the producer of `in` now writes the graph output.
        ir::Node* producer = in->producer();
        graph.remove_node(node);
        graph.replace_all_uses(in, out);
        for (std::size_t i = 0; i < producer->output_count(); ++i) {
          if (producer->output(i) == in) graph.replace_output(*producer, i, out);
        }
      } else {
        graph.replace_all_uses(out, in);
        graph.remove_node(node);
      }
      changed = true;
    }
    if (changed) graph.remove_unused_values();
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> make_eliminate_identity() {
  return std::make_unique<EliminateIdentity>();
}

}  // namespace kiln::compiler::passes
