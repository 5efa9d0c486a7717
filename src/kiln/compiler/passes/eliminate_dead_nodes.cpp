#include <unordered_set>

#include "kiln/compiler/passes/passes.h"

namespace kiln::compiler::passes {

namespace {

class EliminateDeadNodes final : public Pass {
 public:
  std::string_view name() const override { return "eliminate_dead_nodes"; }

  bool run(ir::Graph& graph, PassContext& context) override {
    // Walk backwards from the graph outputs; whatever is not reached is dead.
    std::unordered_set<const ir::Value*> live(graph.outputs().begin(), graph.outputs().end());
    std::vector<ir::Node*> dead;
    std::vector<ir::Node*> nodes = graph.nodes();
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      ir::Node* node = *it;
      bool needed = false;
      for (const ir::Value* out : node->outputs()) needed = needed || live.contains(out);
      if (!needed) {
        dead.push_back(node);
        continue;
      }
      for (const ir::Value* in : node->inputs()) {
        if (in != nullptr) live.insert(in);
      }
    }
    for (ir::Node* node : dead) graph.remove_node(node);
    if (!dead.empty()) graph.remove_unused_values();
    return !dead.empty();
  }
};

}  // namespace

std::unique_ptr<Pass> make_eliminate_dead_nodes() {
  return std::make_unique<EliminateDeadNodes>();
}

}  // namespace kiln::compiler::passes
