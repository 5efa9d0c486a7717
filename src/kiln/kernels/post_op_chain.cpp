#include "kiln/kernels/post_op_chain.h"

#include <fmt/format.h>

#include "kiln/core/error.h"
#include "kiln/ir/post_ops.h"
#include "kiln/kernels/op_definitions.h"

namespace kiln::kernels {

namespace {

// The post-ops as a graph of their own, so each runs on its op's reference kernel: the op math
// is written once, in the reference kernels. Values: "x" (the fused node's result, and every
// post-op's result), then the binary operands, typed as in the fused node.
class PostOpChainKernel final : public Kernel {
 public:
  PostOpChainKernel(const ir::Node& node, std::unique_ptr<Kernel> base,
                    const KernelOptions& options)
      : base_(std::move(base)), own_inputs_(ir::own_input_count(node)) {
    const ir::Value& result = *node.output(0);
    ir::Value* current = graph_.add_value("x");
    current->set_type(result.dtype(), result.shape());
    const std::vector<ir::PostOp> post_ops = ir::post_ops(node);
    for (std::size_t i = 0; i < post_ops.size(); ++i) {
      const ir::PostOp& post_op = post_ops[i];
      std::vector<ir::Value*> inputs = {current};
      Step step;
      if (post_op.operand >= 0) {
        const ir::Value& operand = *node.input(static_cast<std::size_t>(post_op.operand));
        ir::Value* value =
            operand.is_constant()
                ? graph_.add_constant(graph_.unique_name("operand"), operand.constant())
                : graph_.add_value(graph_.unique_name("operand"));
        if (!operand.is_constant()) value->set_type(operand.dtype(), operand.shape());
        inputs.push_back(value);
        step.operand = post_op.operand;
      }
      ir::Attributes attributes = post_op.attributes;
      if (post_op.op == ir::OpKind::kClip) {
        // Clip takes its bounds as inputs (opset 11+); the post-op keeps them as attributes.
        for (const char* bound : {"min", "max"}) {
          auto it = attributes.find(bound);
          if (it == attributes.end()) {
            inputs.push_back(nullptr);
            continue;
          }
          Tensor data(DType::kFloat32, Shape{});
          data.data<float>()[0] = std::get<float>(it->second);
          inputs.push_back(graph_.add_constant(graph_.unique_name(bound), std::move(data)));
          attributes.erase(it);
        }
        while (!inputs.empty() && inputs.back() == nullptr) inputs.pop_back();
      }
      ir::Value* output = graph_.add_value(graph_.unique_name("x"));
      ir::Node* step_node = graph_.add_node(post_op.op, post_op.source, std::move(inputs), {output},
                                            std::move(attributes));
      infer_node_types(*step_node);
      KILN_CHECK(output->dtype() == result.dtype() && output->shape() == result.shape(),
                 "{}: post-op {} changes the type {} to {}", node.describe(), post_op.source,
                 result.type_string(), output->type_string());
      std::string why_not;
      step.kernel = op_definition(post_op.op).reference(*step_node, options, why_not);
      if (!step.kernel) {
        throw_user_error("{}: post-op {} has no kernel: {}", node.describe(), step_node->describe(),
                         why_not);
      }
      steps_.push_back(std::move(step));
      current = output;
    }
    // Results alternate between the output and one temporary; the base writes where an even
    // number of steps later the last result lands in the output.
    temporary_ = Tensor(result.dtype(), result.shape());
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    Tensor& output = outputs[0];
    Tensor* buffers[2] = {&output, &temporary_};
    std::size_t current = steps_.size() % 2;
    base_->run(inputs.first(own_inputs_), std::span<Tensor>(buffers[current], 1));
    for (Step& step : steps_) {
      const std::size_t next = 1 - current;
      Tensor step_inputs[2] = {*buffers[current], Tensor()};
      std::size_t count = 1;
      if (step.operand >= 0) step_inputs[count++] = inputs[static_cast<std::size_t>(step.operand)];
      step.kernel->run(std::span<const Tensor>(step_inputs, count),
                       std::span<Tensor>(buffers[next], 1));
      current = next;
    }
  }

  std::string implementation() const override { return base_->implementation() + "+reference"; }

 private:
  struct Step {
    std::unique_ptr<Kernel> kernel;
    std::ptrdiff_t operand = -1;
  };
  ir::Graph graph_;
  std::unique_ptr<Kernel> base_;
  std::size_t own_inputs_;
  std::vector<Step> steps_;
  Tensor temporary_;
};

}  // namespace

std::unique_ptr<Kernel> with_post_op_chain(const ir::Node& node, std::unique_ptr<Kernel> base,
                                           const KernelOptions& options) {
  if (!base || !ir::has_post_ops(node)) return base;
  return std::make_unique<PostOpChainKernel>(node, std::move(base), options);
}

}  // namespace kiln::kernels
