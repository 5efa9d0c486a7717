// A ReduceMean over every spatial axis of an NCHW (or NCDHW) tensor (squeeze-excitation's pooling,
// as exporters write x.mean((2, 3), keepdim=True)) is a GlobalAveragePool, which runs on oneDNN's
// pooling kernel instead of a generic reduction. Without keepdims, the pooled [N, C, 1, 1]
// is reshaped to [N, C] (an alias, no copy).

#include "kiln/compiler/passes/passes.h"

namespace kiln::compiler::passes {

namespace {

bool reduces_exactly_the_spatial_axes(const ir::Node& node) {
  const ir::Value* x = node.input(0);
  if (x == nullptr || x->dtype() != DType::kFloat32 || node.input_count() != 1) return false;
  const auto rank = static_cast<std::int64_t>(x->shape().rank());
  // Images only: over the last axis of [N, T, C] a transformer's LayerNorm takes its mean.
  if (rank < 4 || !node.has_attribute("axes")) return false;
  std::vector<bool> reduced(static_cast<std::size_t>(rank), false);
  for (std::int64_t axis : node.attr_ints("axes")) {
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return false;
    reduced[static_cast<std::size_t>(axis)] = true;
  }
  for (std::int64_t axis = 0; axis < rank; ++axis) {
    if (reduced[static_cast<std::size_t>(axis)] != (axis >= 2)) return false;
  }
  return true;
}

class ReduceMeanToGlobalPool final : public Pass {
 public:
  std::string_view name() const override { return "reduce_mean_to_global_pool"; }

  bool run(ir::Graph& graph, PassContext&) override {
    bool changed = false;
    for (ir::Node* node : graph.nodes()) {
      if (node->op() != ir::OpKind::kReduceMean || !reduces_exactly_the_spatial_axes(*node)) {
        continue;
      }
      ir::Value* x = node->input(0);
      ir::Value* y = node->output(0);
      const bool keepdims = node->attr_int("keepdims", 1) != 0;
      const std::string name = node->name();
      graph.remove_node(node);
      if (keepdims) {
        graph.add_node(ir::OpKind::kGlobalAveragePool, name, {x}, {y});
      } else {
        std::vector<std::int64_t> pooled_dims(x->shape().rank(), 1);
        pooled_dims[0] = x->shape()[0];
        pooled_dims[1] = x->shape()[1];
        ir::Value* pooled = graph.add_value(graph.unique_name(name + "_pooled"));
        pooled->set_type(x->dtype(), Shape(pooled_dims));
        graph.add_node(ir::OpKind::kGlobalAveragePool, name, {x}, {pooled});
        Tensor shape(DType::kInt64, Shape{2});
        shape.data<std::int64_t>()[0] = x->shape()[0];
        shape.data<std::int64_t>()[1] = x->shape()[1];
        ir::Value* target = graph.add_constant(graph.unique_name(name + "_shape"), shape);
        graph.add_node(ir::OpKind::kReshape, name + "_squeeze", {pooled, target}, {y});
      }
      changed = true;
    }
    if (changed) graph.sort_topologically();
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> make_reduce_mean_to_global_pool() {
  return std::make_unique<ReduceMeanToGlobalPool>();
}

}  // namespace kiln::compiler::passes
