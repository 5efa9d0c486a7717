// Finds LayerNorm as PyTorch exports it before opset 17, op by op over the last axis:
//   mean = ReduceMean(x); d = x - mean; var = ReduceMean(d ^ 2); y = d / sqrt(var + eps)
//   [* gamma] [+ beta]
// and replaces it by one LayerNormalization node (oneDNN's layer_normalization): one pass that
// keeps a row in cache instead of nine passes over memory (LV-ViT has 33 of them).

#include <cmath>
#include <unordered_set>

#include "kiln/compiler/passes/passes.h"

namespace kiln::compiler::passes {

namespace {

using ir::OpKind;
using Consumers = std::unordered_map<const ir::Value*, std::vector<ir::Node*>>;

// The only reader of `value`, when it has exactly one and is not a graph output.
ir::Node* only_reader(const ir::Graph& graph, const Consumers& consumers, const ir::Value* value,
                      OpKind op) {
  auto it = consumers.find(value);
  if (it == consumers.end() || it->second.size() != 1 || graph.is_graph_output(value)) {
    return nullptr;
  }
  return it->second[0]->op() == op ? it->second[0] : nullptr;
}

std::optional<float> scalar_constant(const ir::Value* value) {
  if (value == nullptr || !value->is_constant() || value->dtype() != DType::kFloat32 ||
      value->constant().numel() != 1) {
    return std::nullopt;
  }
  return value->constant().data<float>()[0];
}

// The other input of a binary node, given one of them (either side when `commutative`).
const ir::Value* other_input(const ir::Node& node, const ir::Value* known, bool commutative) {
  if (node.input_count() != 2) return nullptr;
  if (node.input(0) == known) return node.input(1);
  if (commutative && node.input(1) == known) return node.input(0);
  return nullptr;
}

bool reduces_last_axis(const ir::Node& node) {
  if (node.input_count() != 1 || node.attr_int("keepdims", 1) != 1) return false;
  if (!node.has_attribute("axes")) return false;
  const std::vector<std::int64_t> axes = node.attr_ints("axes");
  const auto rank = static_cast<std::int64_t>(node.input(0)->shape().rank());
  return axes.size() == 1 && (axes[0] == -1 || axes[0] == rank - 1);
}

// A per-channel parameter of the last axis, as [C] (shape it broadcasts as: [C], [1, C], ...).
ir::Value* channel_parameter(ir::Graph& graph, const ir::Value* value, std::int64_t channels) {
  if (value == nullptr || !value->is_constant() || value->dtype() != DType::kFloat32 ||
      value->shape().numel() != channels || value->shape().rank() == 0 ||
      value->shape().dims().back() != channels) {
    return nullptr;
  }
  if (value->shape() == Shape{channels}) return const_cast<ir::Value*>(value);
  return graph.add_constant(graph.unique_name(value->name() + "_flat"),
                            value->constant().reshaped(Shape{channels}));
}

class FuseLayerNorm final : public Pass {
 public:
  std::string_view name() const override { return "fuse_layer_norm"; }

  bool run(ir::Graph& graph, PassContext&) override {
    bool changed = false;
    std::vector<ir::Node*> means;
    for (ir::Node* node : graph.nodes()) {
      if (node->op() == OpKind::kReduceMean) means.push_back(node);
    }
    auto consumers = graph.consumer_map();
    // A fusion removes the variance's ReduceMean too: those pointers are not followed again.
    std::unordered_set<const ir::Node*> removed;
    for (ir::Node* mean : means) {
      if (removed.contains(mean)) continue;
      if (try_fuse(graph, consumers, *mean, removed)) {
        changed = true;
        consumers = graph.consumer_map();
      }
    }
    if (changed) graph.sort_topologically();
    return changed;
  }

 private:
  static bool try_fuse(ir::Graph& graph, const Consumers& consumers, ir::Node& mean,
                       std::unordered_set<const ir::Node*>& removed) {
    ir::Value* x = mean.input(0);
    if (x == nullptr || x->dtype() != DType::kFloat32 || x->shape().rank() < 1 ||
        !reduces_last_axis(mean)) {
      return false;
    }
    const std::int64_t channels = x->shape().dims().back();
    ir::Node* sub = only_reader(graph, consumers, mean.output(0), OpKind::kSub);
    if (sub == nullptr || sub->input(0) != x || sub->input(1) != mean.output(0)) return false;
    const ir::Value* d = sub->output(0);
    auto d_readers = consumers.find(d);
    if (d_readers == consumers.end() || d_readers->second.size() != 2 || graph.is_graph_output(d)) {
      return false;
    }
    ir::Node* pow = nullptr;
    ir::Node* div = nullptr;
    for (ir::Node* reader : d_readers->second) {
      if (reader->op() == OpKind::kPow) pow = reader;
      if (reader->op() == OpKind::kDiv) div = reader;
    }
    if (pow == nullptr || div == nullptr || pow->input(0) != d || div->input(0) != d) return false;
    if (scalar_constant(pow->input(1)) != 2.f) return false;
    ir::Node* variance = only_reader(graph, consumers, pow->output(0), OpKind::kReduceMean);
    if (variance == nullptr || !reduces_last_axis(*variance)) return false;
    ir::Node* add_epsilon = only_reader(graph, consumers, variance->output(0), OpKind::kAdd);
    if (add_epsilon == nullptr) return false;
    const std::optional<float> epsilon =
        scalar_constant(other_input(*add_epsilon, variance->output(0), true));
    if (!epsilon || !(*epsilon >= 0.f)) return false;
    ir::Node* sqrt = only_reader(graph, consumers, add_epsilon->output(0), OpKind::kSqrt);
    if (sqrt == nullptr || div->input(1) != sqrt->output(0)) return false;
    if (only_reader(graph, consumers, sqrt->output(0), OpKind::kDiv) != div) return false;

    std::vector<ir::Node*> replaced = {&mean, sub, pow, variance, add_epsilon, sqrt, div};
    ir::Value* y = div->output(0);
    ir::Value* gamma = nullptr;
    ir::Value* beta = nullptr;
    if (ir::Node* mul = only_reader(graph, consumers, y, OpKind::kMul)) {
      if ((gamma = channel_parameter(graph, other_input(*mul, y, true), channels))) {
        replaced.push_back(mul);
        y = mul->output(0);
        if (ir::Node* add = only_reader(graph, consumers, y, OpKind::kAdd)) {
          if ((beta = channel_parameter(graph, other_input(*add, y, true), channels))) {
            replaced.push_back(add);
            y = add->output(0);
          }
        }
      }
    }
    if (gamma == nullptr) {
      Tensor ones(DType::kFloat32, Shape{channels});
      for (float& v : ones.span<float>()) v = 1.f;
      gamma = graph.add_constant(graph.unique_name(mean.name() + "_scale"), std::move(ones));
    }
    const std::string name = mean.name() + "_layer_norm";
    for (ir::Node* node : replaced) {
      removed.insert(node);
      graph.remove_node(node);
    }
    std::vector<ir::Value*> inputs = {x, gamma};
    if (beta != nullptr) inputs.push_back(beta);
    graph.add_node(OpKind::kLayerNormalization, name, std::move(inputs), {y},
                   {{"axis", std::int64_t{-1}}, {"epsilon", *epsilon}});
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_layer_norm() {
  return std::make_unique<FuseLayerNorm>();
}

}  // namespace kiln::compiler::passes
