#include <cmath>

#include "kiln/compiler/passes/passes.h"

namespace kiln::compiler::passes {

namespace {

bool is_float_constant(const ir::Value* v) {
  return v != nullptr && v->is_constant() && v->dtype() == DType::kFloat32;
}

class FoldBatchnormIntoConv final : public Pass {
 public:
  std::string_view name() const override { return "fold_batchnorm_into_conv"; }

  bool run(ir::Graph& graph, PassContext& context) override {
    bool changed = false;
    auto consumers = graph.consumer_map();
    for (ir::Node* bn : graph.nodes()) {
      if (bn->op() != ir::OpKind::kBatchNormalization) continue;
      ir::Node* conv = bn->input(0)->producer();
      if (conv == nullptr || conv->op() != ir::OpKind::kConv) continue;
      const ir::Value* conv_out = conv->output(0);
      if (consumers[conv_out].size() != 1 || graph.is_graph_output(conv_out)) {
        context.remarks.push_back(
            fmt::format("fold_batchnorm_into_conv: {} not folded: {} output is used elsewhere too",
                        bn->describe(), conv->describe()));
        continue;
      }
      if (!is_float_constant(conv->input(1)) ||
          (conv->input(2) != nullptr && !is_float_constant(conv->input(2)))) {
        context.remarks.push_back(
            fmt::format("fold_batchnorm_into_conv: {} not folded: conv weights are not constant",
                        bn->describe()));
        continue;
      }
      bool params_constant = true;
      for (std::size_t i = 1; i <= 4; ++i) params_constant &= is_float_constant(bn->input(i));
      if (!params_constant) {
        context.remarks.push_back(
            fmt::format("fold_batchnorm_into_conv: {} not folded: its statistics are not constant",
                        bn->describe()));
        continue;
      }
      fold(graph, *conv, *bn);
      changed = true;
    }
    if (changed) graph.remove_unused_values();
    return changed;
  }

 private:
  static void fold(ir::Graph& graph, ir::Node& conv, ir::Node& bn) {
    const Tensor& weights = conv.input(1)->constant();
    const std::int64_t out_channels = weights.shape()[0];
    const std::int64_t per_channel = weights.numel() / out_channels;
    const float epsilon = bn.attr_float("epsilon", 1e-5f);
    const auto scale = bn.input(1)->constant().to_float32();
    const auto shift = bn.input(2)->constant().to_float32();
    const auto mean = bn.input(3)->constant().to_float32();
    const auto var = bn.input(4)->constant().to_float32();
    // In double: the folded weights should be as close to conv-then-BN as float32 allows.
    Tensor new_weights(DType::kFloat32, weights.shape());
    Tensor new_bias(DType::kFloat32, Shape{out_channels});
    const float* w = weights.data<float>();
    const float* b = conv.input(2) != nullptr ? conv.input(2)->constant().data<float>() : nullptr;
    for (std::int64_t c = 0; c < out_channels; ++c) {
      const double factor = static_cast<double>(scale.data<float>()[c]) /
                            std::sqrt(static_cast<double>(var.data<float>()[c]) + epsilon);
      for (std::int64_t i = 0; i < per_channel; ++i) {
        new_weights.data<float>()[c * per_channel + i] =
            static_cast<float>(w[c * per_channel + i] * factor);
      }
      const double bias = b != nullptr ? b[c] : 0.0;
      new_bias.data<float>()[c] =
          static_cast<float>((bias - mean.data<float>()[c]) * factor + shift.data<float>()[c]);
    }
    conv.set_input(1, graph.add_constant(graph.unique_name(conv.input(1)->name() + "_bnfold"),
                                         std::move(new_weights)));
    conv.set_input(2, graph.add_constant(graph.unique_name(conv.name() + "_bias_bnfold"),
                                         std::move(new_bias)));
    ir::Value* bn_out = bn.output(0);
    graph.remove_node(&bn);
    graph.replace_output(conv, 0, bn_out);
  }
};

}  // namespace

std::unique_ptr<Pass> make_fold_batchnorm_into_conv() {
  return std::make_unique<FoldBatchnormIntoConv>();
}

}  // namespace kiln::compiler::passes
