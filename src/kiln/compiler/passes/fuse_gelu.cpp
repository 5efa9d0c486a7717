// Finds the erf GELU that exporters write out op by op,
//   y = Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5)
// (Div may be Mul by 1/sqrt 2; the 0.5 may be applied to x first; operands of Add and Mul in
// either order) and replaces it by one kiln Gelu node, which oneDNN runs as gelu_erf in one
// pass over memory instead of five.

#include <cmath>
#include <optional>

#include "kiln/compiler/passes/passes.h"

namespace kiln::compiler::passes {

namespace {

// The value of a one-element float constant.
std::optional<float> scalar_constant(const ir::Value* v) {
  if (v == nullptr || !v->is_constant() || v->constant().numel() != 1 ||
      v->dtype() != DType::kFloat32) {
    return std::nullopt;
  }
  return v->constant().data<float>()[0];
}

bool near(std::optional<float> value, double expected) {
  return value && std::fabs(*value - expected) <= 1e-6 * std::fabs(expected);
}

class FuseGelu final : public Pass {
 public:
  std::string_view name() const override { return "fuse_gelu"; }

  bool run(ir::Graph& graph, PassContext& context) override {
    bool changed = false;
    consumers_ = graph.consumer_map();
    // Only Erf nodes are remembered: a rewrite removes the chain's last Mul, never an Erf.
    std::vector<ir::Node*> erfs;
    for (ir::Node* node : graph.nodes()) {
      if (node->op() == ir::OpKind::kErf) erfs.push_back(node);
    }
    for (ir::Node* erf : erfs) {
      if (auto match = match_at(graph, *erf)) {
        replace(graph, *match);
        consumers_ = graph.consumer_map();
        changed = true;
      }
    }
    if (changed) {
      graph.sort_topologically();
      graph.remove_unused_values();
    }
    return changed;
  }

 private:
  struct Match {
    ir::Value* x;
    ir::Node* last;  // the node whose output becomes Gelu's
  };

  // The single node reading `v`, when `v` is an intermediate nobody else needs.
  ir::Node* only_consumer(const ir::Graph& graph, const ir::Value* v, ir::OpKind op) const {
    auto it = consumers_.find(v);
    if (it == consumers_.end() || it->second.size() != 1 || graph.is_graph_output(v)) {
      return nullptr;
    }
    return it->second[0]->op() == op ? it->second[0] : nullptr;
  }

  // The input of a binary node other than `known`.
  static ir::Value* other_input(const ir::Node& node, const ir::Value* known) {
    return node.input(0) == known ? node.input(1) : node.input(0);
  }

  std::optional<Match> match_at(const ir::Graph& graph, ir::Node& erf) const {
    // x / sqrt(2) or x * (1 / sqrt(2)), feeding the Erf alone.
    ir::Node* scale = erf.input(0)->producer();
    if (scale == nullptr || only_consumer(graph, scale->output(0), ir::OpKind::kErf) != &erf) {
      return std::nullopt;
    }
    ir::Value* x = nullptr;
    if (scale->op() == ir::OpKind::kDiv && near(scalar_constant(scale->input(1)), std::sqrt(2.0))) {
      x = scale->input(0);
    } else if (scale->op() == ir::OpKind::kMul) {
      for (int i = 0; i < 2; ++i) {
        if (near(scalar_constant(scale->input(i)), std::sqrt(0.5))) x = scale->input(1 - i);
      }
    }
    if (x == nullptr || x->dtype() != DType::kFloat32) return std::nullopt;

    // 1 + erf
    ir::Node* add = only_consumer(graph, erf.output(0), ir::OpKind::kAdd);
    if (add == nullptr || !near(scalar_constant(other_input(*add, erf.output(0))), 1.0)) {
      return std::nullopt;
    }
    ir::Node* mul = only_consumer(graph, add->output(0), ir::OpKind::kMul);
    if (mul == nullptr) return std::nullopt;
    ir::Value* factor = other_input(*mul, add->output(0));
    // (x * (1 + erf)) * 0.5
    if (factor == x) {
      ir::Node* half = only_consumer(graph, mul->output(0), ir::OpKind::kMul);
      if (half == nullptr || !near(scalar_constant(other_input(*half, mul->output(0))), 0.5)) {
        return std::nullopt;
      }
      return Match{x, half};
    }
    // (x * 0.5) * (1 + erf)
    ir::Node* half_x = factor->producer();
    if (half_x != nullptr && half_x->op() == ir::OpKind::kMul &&
        only_consumer(graph, factor, ir::OpKind::kMul) == mul) {
      for (int i = 0; i < 2; ++i) {
        if (half_x->input(i) == x && near(scalar_constant(half_x->input(1 - i)), 0.5)) {
          return Match{x, mul};
        }
      }
    }
    return std::nullopt;
  }

  static void replace(ir::Graph& graph, const Match& match) {
    ir::Value* y = match.last->output(0);
    const std::string name = match.last->name();
    graph.remove_node(match.last);
    graph.add_node(ir::OpKind::kGelu, name + "_gelu", {match.x}, {y},
                   {{"approximate", std::string("none")}});
    // The Div/Erf/Add/Mul chain now feeds nothing; eliminate_dead_nodes removes it.
  }

  std::unordered_map<const ir::Value*, std::vector<ir::Node*>> consumers_;
};

}  // namespace

std::unique_ptr<Pass> make_fuse_gelu() {
  return std::make_unique<FuseGelu>();
}

}  // namespace kiln::compiler::passes
