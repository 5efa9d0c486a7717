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
#include "kiln/kernels/cpu/onednn_post_ops.h"

namespace kiln::kernels::cpu {

using dnnl::memory;
using onednn::cpu_engine;

std::unique_ptr<Kernel> make_onednn_eltwise(const ir::Node& node, const KernelOptions& options,
                                            std::string& why_not) {
  const ir::Value& x = require_input(node, 0, "X");
  if (x.dtype() != DType::kFloat32) {
    why_not = fmt::format("input is {}; the oneDNN kernel is float32 only", dtype_name(x.dtype()));
    return nullptr;
  }
  const std::optional<onednn::EltwiseAlgorithm> op =
      onednn::eltwise_algorithm(node.op(), node.attributes());
  if (!op || node.op() == ir::OpKind::kClip) {  // a Clip node's bounds are inputs
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
