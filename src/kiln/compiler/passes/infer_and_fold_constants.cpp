#include <fmt/format.h>

#include "kiln/compiler/passes/passes.h"
#include "kiln/kernels/op_definitions.h"

namespace kiln::compiler::passes {

namespace {

// Folding a node whose outputs are this large would bloat the plan (Expand of a constant to a
// whole activation, ConstantOfShape of an image); compute those at run time instead.
constexpr std::size_t kMaxFoldedBytes = std::size_t{16} << 20;

bool all_inputs_constant(const ir::Node& node) {
  for (const ir::Value* in : node.inputs()) {
    if (in != nullptr && !in->is_constant()) return false;
  }
  return true;
}

std::size_t output_bytes(const ir::Node& node) {
  std::size_t bytes = 0;
  for (const ir::Value* out : node.outputs()) {
    bytes += static_cast<std::size_t>(out->shape().numel()) * dtype_size(out->dtype());
  }
  return bytes;
}

void fold(ir::Graph& graph, ir::Node& node) {
  std::string why_not;
  auto kernel = kernels::create_reference_kernel(node, kernels::KernelOptions{}, why_not);
  if (!kernel) throw_user_error("{}: cannot be computed: {}", node.describe(), why_not);
  std::vector<Tensor> inputs;
  for (const ir::Value* in : node.inputs()) {
    if (in == nullptr) {
      inputs.emplace_back();
    } else if (in->is_constant()) {
      inputs.push_back(in->constant());
    } else {
      // Shape-only ops read just the type: a view without data carries it, allocating nothing.
      inputs.push_back(Tensor::view(in->dtype(), in->shape(), nullptr));
    }
  }
  std::vector<Tensor> outputs;
  for (const ir::Value* out : node.outputs()) outputs.emplace_back(out->dtype(), out->shape());
  kernel->run(inputs, outputs);
  std::vector<ir::Value*> produced = node.outputs();
  graph.remove_node(&node);
  for (std::size_t i = 0; i < produced.size(); ++i)
    produced[i]->set_constant(std::move(outputs[i]));
}

class InferAndFoldConstants final : public Pass {
 public:
  std::string_view name() const override { return "infer_and_fold_constants"; }

  bool run(ir::Graph& graph, PassContext& context) override {
    bool changed = false;
    for (ir::Node* node : graph.nodes()) {
      with_context([&] { return fmt::format("while compiling {}", node->describe()); },
                   [&] {
                     kernels::infer_node_types(*node);
                     cross_check(*node, context);
                     const bool shape_only =
                         ir::has_trait(node->op(), ir::kShapeOnly) && node->input(0) != nullptr;
                     if ((all_inputs_constant(*node) || shape_only) &&
                         output_bytes(*node) <= kMaxFoldedBytes) {
                       fold(graph, *node);
                       changed = true;
                     }
                   });
    }
    return changed;
  }

 private:
  static void cross_check(const ir::Node& node, const PassContext& context) {
    if (context.reference_shapes == nullptr) return;
    for (const ir::Value* out : node.outputs()) {
      auto it = context.reference_shapes->find(out->name());
      if (it == context.reference_shapes->end() || it->second == out->shape()) continue;
      throw_user_error(
          "output '{}' has shape {} by kiln's inference but {} by ONNX shape inference; the "
          "model's shapes are inconsistent (or kiln has a bug: please report it)",
          out->name(), out->shape().to_string(), it->second.to_string());
    }
  }
};

}  // namespace

std::unique_ptr<Pass> make_infer_and_fold_constants() {
  return std::make_unique<InferAndFoldConstants>();
}

}  // namespace kiln::compiler::passes
