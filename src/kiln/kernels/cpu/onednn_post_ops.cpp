#include "kiln/kernels/cpu/onednn_post_ops.h"

#include <limits>

#include "kiln/ir/post_ops.h"

namespace kiln::kernels::cpu::onednn {

namespace {

using dnnl::algorithm;

float float_attribute(const ir::Attributes& attributes, std::string_view name, float fallback) {
  auto it = attributes.find(name);
  if (it == attributes.end()) return fallback;
  if (const float* value = std::get_if<float>(&it->second)) return *value;
  throw_user_error("attribute '{}' is {}, expected float", name,
                   ir::attribute_type_name(it->second));
}

std::string string_attribute(const ir::Attributes& attributes, std::string_view name,
                             std::string fallback) {
  auto it = attributes.find(name);
  if (it == attributes.end()) return fallback;
  if (const std::string* value = std::get_if<std::string>(&it->second)) return *value;
  throw_user_error("attribute '{}' is {}, expected string", name,
                   ir::attribute_type_name(it->second));
}

std::optional<algorithm> binary_algorithm(ir::OpKind op) {
  switch (op) {
    case ir::OpKind::kAdd:
      return algorithm::binary_add;
    case ir::OpKind::kSub:
      return algorithm::binary_sub;
    case ir::OpKind::kMul:
      return algorithm::binary_mul;
    case ir::OpKind::kDiv:
      return algorithm::binary_div;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<EltwiseAlgorithm> eltwise_algorithm(ir::OpKind op, const ir::Attributes& attributes) {
  switch (op) {
    case ir::OpKind::kRelu:
      return EltwiseAlgorithm{algorithm::eltwise_relu};
    case ir::OpKind::kLeakyRelu:
      return EltwiseAlgorithm{algorithm::eltwise_relu, float_attribute(attributes, "alpha", 0.01f)};
    case ir::OpKind::kSigmoid:
      return EltwiseAlgorithm{algorithm::eltwise_logistic};
    case ir::OpKind::kTanh:
      return EltwiseAlgorithm{algorithm::eltwise_tanh};
    case ir::OpKind::kElu:
      return EltwiseAlgorithm{algorithm::eltwise_elu, float_attribute(attributes, "alpha", 1.f)};
    case ir::OpKind::kExp:
      return EltwiseAlgorithm{algorithm::eltwise_exp};
    case ir::OpKind::kSqrt:
      return EltwiseAlgorithm{algorithm::eltwise_sqrt};
    case ir::OpKind::kAbs:
      return EltwiseAlgorithm{algorithm::eltwise_abs};
    // oneDNN 2.6's hardswish is x * relu6(x + 3) / 6, ONNX's with its fixed alpha 1/6, beta 1/2.
    case ir::OpKind::kHardSwish:
      return EltwiseAlgorithm{algorithm::eltwise_hardswish};
    // oneDNN's swish is x * sigmoid(alpha * x).
    case ir::OpKind::kSilu:
      return EltwiseAlgorithm{algorithm::eltwise_swish, 1.f};
    case ir::OpKind::kGelu:
      return EltwiseAlgorithm{string_attribute(attributes, "approximate", "none") == "tanh"
                                  ? algorithm::eltwise_gelu_tanh
                                  : algorithm::eltwise_gelu_erf};
    // clip_v2 is min(max(x, alpha), beta), like Clip (which keeps its bounds as post-op
    // attributes; absent bounds are unbounded).
    case ir::OpKind::kClip:
      return EltwiseAlgorithm{
          algorithm::eltwise_clip_v2,
          float_attribute(attributes, "min", -std::numeric_limits<float>::max()),
          float_attribute(attributes, "max", std::numeric_limits<float>::max())};
    case ir::OpKind::kNeg:
      return EltwiseAlgorithm{algorithm::eltwise_linear, -1.f, 0.f};
    default:
      return std::nullopt;
  }
}

std::optional<PrimitivePostOps> PrimitivePostOps::create(const ir::Node& node,
                                                         const dnnl::memory::dims& dst_dims,
                                                         std::string& why_not,
                                                         const dnnl::post_ops& leading,
                                                         bool allow_sum) {
  PrimitivePostOps result;
  result.ops_ = leading;
  for (const ir::PostOp& post_op : ir::post_ops(node)) {
    if (post_op.operand < 0) {
      if (post_op.op == ir::OpKind::kHardSigmoid) {
        // clip(alpha * x + beta, 0, 1), as two oneDNN steps.
        result.ops_.append_eltwise(1.f, algorithm::eltwise_linear,
                                   float_attribute(post_op.attributes, "alpha", 0.2f),
                                   float_attribute(post_op.attributes, "beta", 0.5f));
        result.ops_.append_eltwise(1.f, algorithm::eltwise_clip_v2, 0.f, 1.f);
        continue;
      }
      const std::optional<EltwiseAlgorithm> eltwise =
          eltwise_algorithm(post_op.op, post_op.attributes);
      if (!eltwise) {
        why_not = fmt::format("post-op {} ({}) has no oneDNN eltwise algorithm",
                              ir::op_name(post_op.op), post_op.source);
        return std::nullopt;
      }
      result.ops_.append_eltwise(1.f, eltwise->kind, eltwise->alpha, eltwise->beta);
      continue;
    }
    const ir::Value& operand = *node.input(static_cast<std::size_t>(post_op.operand));
    if (operand.dtype() != DType::kFloat32) {
      why_not = fmt::format("post-op {} ({}) has a {} operand", ir::op_name(post_op.op),
                            post_op.source, dtype_name(operand.dtype()));
      return std::nullopt;
    }
    // The operand at the destination's rank, left-padded with 1s (oneDNN broadcasts those).
    dnnl::memory::dims dims(dst_dims.size(), 1);
    const auto& operand_dims = operand.shape().dims();
    if (operand_dims.size() > dims.size()) {
      why_not = fmt::format("post-op {} operand {} has a higher rank than the output",
                            post_op.source, operand.shape().to_string());
      return std::nullopt;
    }
    std::copy(operand_dims.begin(), operand_dims.end(),
              dims.end() - static_cast<std::ptrdiff_t>(operand_dims.size()));
    const bool full = dims == dst_dims;
    // A residual Add: oneDNN's `sum` adds what the destination held before the primitive ran, so
    // the kernel fills it with the operand first. One sum per chain.
    if (post_op.op == ir::OpKind::kAdd && full && !operand.is_constant() && result.sum_input_ < 0 &&
        leading.len() == 0) {
      result.ops_.append_sum(1.f);
      result.sum_input_ = post_op.operand;
      continue;
    }
    const algorithm kind = *binary_algorithm(post_op.op);
    const dnnl::memory::desc desc = plain_desc(dims);
    result.ops_.append_binary(kind, desc);
    Operand bound;
    bound.position = result.ops_.len() - 1;
    bound.input = static_cast<std::size_t>(post_op.operand);
    bound.constant = operand.is_constant();
    if (bound.constant) bound.keep_alive = operand.constant();
    bound.memory = dnnl::memory(desc, cpu_engine(), const_cast<void*>(bound.keep_alive.raw()));
    result.operands_.push_back(std::move(bound));
  }
  return result;
}

void PrimitivePostOps::add_arguments(std::unordered_map<int, dnnl::memory>& args) const {
  for (const Operand& operand : operands_) {
    args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(operand.position) | DNNL_ARG_SRC_1] = operand.memory;
  }
}

void PrimitivePostOps::bind(std::span<const Tensor> inputs) const {
  for (const Operand& operand : operands_) {
    if (operand.constant) continue;
    dnnl::memory memory = operand.memory;
    onednn::bind(memory, inputs[operand.input]);
  }
}

}  // namespace kiln::kernels::cpu::onednn
