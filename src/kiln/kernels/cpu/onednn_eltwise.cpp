// oneDNN eltwise for the float32 activations whose oneDNN algorithm means what the ONNX op means
// and is accurate enough. The tensor is viewed as one flat vector (an elementwise op does not
// care about shape). Other ops, and other dtypes, stay with the reference kernels.
//
// Accuracy against the reference over dense sweeps of each op's useful range (oneDNN 2.6,
// AVX-512): Relu, LeakyRelu, Abs, Sqrt exact; Sigmoid, Tanh, Exp within 4e-7 relative; Gelu,
// Elu, HardSwish within 5e-7 absolute (relative error grows only where the output crosses zero).
// Two are left to the reference: Log (4e-6 absolute error around x = 1, where log is ~0) and
// Softplus (2e-6 absolute where the output is ~1e-9).

#include <optional>

#include "kiln/kernels/cpu/onednn_common.h"
#include "kiln/kernels/cpu/onednn_kernels.h"

namespace kiln::kernels::cpu {

namespace {

using dnnl::algorithm;
using dnnl::memory;
using onednn::cpu_engine;

struct EltwiseAlgorithm {
  algorithm kind;
  float alpha = 0.f;
  float beta = 0.f;
};

// The oneDNN algorithm computing the node's op, or nullopt.
std::optional<EltwiseAlgorithm> eltwise_algorithm(const ir::Node& node) {
  switch (node.op()) {
    case ir::OpKind::kRelu:
      return EltwiseAlgorithm{algorithm::eltwise_relu};
    case ir::OpKind::kLeakyRelu:
      return EltwiseAlgorithm{algorithm::eltwise_relu, node.attr_float("alpha", 0.01f)};
    case ir::OpKind::kSigmoid:
      return EltwiseAlgorithm{algorithm::eltwise_logistic};
    case ir::OpKind::kTanh:
      return EltwiseAlgorithm{algorithm::eltwise_tanh};
    case ir::OpKind::kElu:
      return EltwiseAlgorithm{algorithm::eltwise_elu, node.attr_float("alpha", 1.f)};
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
      return EltwiseAlgorithm{node.attr_string("approximate", "none") == "tanh"
                                  ? algorithm::eltwise_gelu_tanh
                                  : algorithm::eltwise_gelu_erf};
    default:
      return std::nullopt;
  }
}

}  // namespace

std::unique_ptr<Kernel> make_onednn_eltwise(const ir::Node& node, const KernelOptions& options,
                                            std::string& why_not) {
  const ir::Value& x = require_input(node, 0, "X");
  if (x.dtype() != DType::kFloat32) {
    why_not = fmt::format("input is {}; the oneDNN kernel is float32 only", dtype_name(x.dtype()));
    return nullptr;
  }
  const std::optional<EltwiseAlgorithm> op = eltwise_algorithm(node);
  if (!op) {
    why_not = fmt::format("no oneDNN eltwise algorithm for {}", node.op_name());
    return nullptr;
  }
  if (x.shape().numel() == 0) {
    why_not = "empty tensors";
    return nullptr;
  }
  return onednn::create_or_decline(options, why_not, [&]() -> std::unique_ptr<Kernel> {
    const memory::desc data = onednn::plain_desc({x.shape().numel()});
    const dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, op->kind, data,
                                           op->alpha, op->beta);
    const dnnl::eltwise_forward::primitive_desc pd(desc, onednn::default_attr(), cpu_engine());
    if (onednn::is_generic_impl(pd)) return onednn::decline_generic_impl(pd, why_not);
    return std::make_unique<onednn::SourceToDestinationKernel<dnnl::eltwise_forward>>(node, pd,
                                                                                      options);
  });
}

}  // namespace kiln::kernels::cpu
