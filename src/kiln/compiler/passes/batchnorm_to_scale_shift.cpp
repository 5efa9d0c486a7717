// An inference BatchNormalization that cannot fold into a preceding Conv (DPN's pre-activation
// BN after a Concat, 48 of them) becomes x * scale + shift with per-channel constants,
//   scale = gamma / sqrt(var + eps), shift = beta - mean * scale,
// which fuse_post_ops then turns, with the ReLU after it, into one oneDNN binary kernel with
// post-ops: one pass over memory for BN + ReLU instead of two (and none on reference loops).

#include <cmath>

#include "kiln/compiler/passes/passes.h"

namespace kiln::compiler::passes {

namespace {

bool is_float_constant(const ir::Value* v) {
  return v != nullptr && v->is_constant() && v->dtype() == DType::kFloat32;
}

class BatchnormToScaleShift final : public Pass {
 public:
  std::string_view name() const override { return "batchnorm_to_scale_shift"; }

  bool run(ir::Graph& graph, PassContext& context) override {
    bool changed = false;
    for (ir::Node* bn : graph.nodes()) {
      if (bn->op() != ir::OpKind::kBatchNormalization || bn->output_count() != 1) continue;
      const ir::Value* x = bn->input(0);
      if (x == nullptr || x->dtype() != DType::kFloat32 || x->shape().rank() < 2) continue;
      // A BN right after a Conv is fold_batchnorm_into_conv's, when it can fold.
      const ir::Node* producer = x->producer();
      if (producer != nullptr && producer->op() == ir::OpKind::kConv &&
          graph.consumers(x).size() == 1 && !graph.is_graph_output(x)) {
        continue;
      }
      bool constant = true;
      for (std::size_t i = 1; i <= 4; ++i) constant &= is_float_constant(bn->input(i));
      if (!constant) {
        context.remarks.push_back(fmt::format(
            "batchnorm_to_scale_shift: {} kept: its statistics are not constant", bn->describe()));
        continue;
      }
      rewrite(graph, *bn);
      changed = true;
    }
    if (changed) graph.sort_topologically();
    return changed;
  }

 private:
  static void rewrite(ir::Graph& graph, ir::Node& bn) {
    const std::int64_t channels = bn.input(0)->shape()[1];
    const float epsilon = bn.attr_float("epsilon", 1e-5f);
    const Tensor gamma = bn.input(1)->constant().to_float32();
    const Tensor beta = bn.input(2)->constant().to_float32();
    const Tensor mean = bn.input(3)->constant().to_float32();
    const Tensor variance = bn.input(4)->constant().to_float32();
    // [C, 1, ...]: broadcasts over the spatial axes of an N, C, ... input.
    std::vector<std::int64_t> dims(bn.input(0)->shape().rank() - 1, 1);
    dims[0] = channels;
    Tensor scale(DType::kFloat32, Shape(dims));
    Tensor shift(DType::kFloat32, Shape(dims));
    for (std::int64_t c = 0; c < channels; ++c) {
      // In double, as fold_batchnorm_into_conv does: the same numbers either way.
      const double s = static_cast<double>(gamma.data<float>()[c]) /
                       std::sqrt(static_cast<double>(variance.data<float>()[c]) + epsilon);
      scale.data<float>()[c] = static_cast<float>(s);
      shift.data<float>()[c] = static_cast<float>(static_cast<double>(beta.data<float>()[c]) -
                                                  static_cast<double>(mean.data<float>()[c]) * s);
    }
    ir::Value* x = bn.input(0);
    ir::Value* y = bn.output(0);
    const std::string name = bn.name();
    graph.remove_node(&bn);
    ir::Value* scaled = graph.add_value(graph.unique_name(name + "_scaled"));
    scaled->set_type(DType::kFloat32, x->shape());
    graph.add_node(ir::OpKind::kMul, name + "_scale",
                   {x, graph.add_constant(graph.unique_name(name + "_scale"), std::move(scale))},
                   {scaled});
    graph.add_node(
        ir::OpKind::kAdd, name + "_shift",
        {scaled, graph.add_constant(graph.unique_name(name + "_shift"), std::move(shift))}, {y});
  }
};

}  // namespace

std::unique_ptr<Pass> make_batchnorm_to_scale_shift() {
  return std::make_unique<BatchnormToScaleShift>();
}

}  // namespace kiln::compiler::passes
