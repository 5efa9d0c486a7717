// oneDNN softmax and logsoftmax over one axis (opset-13 meaning), float32. The max-subtracting
// algorithm is the same as the reference's; oneDNN sums in float32 where the reference sums in
// double, which differs by a few ulp on rows of a few thousand elements.

#include "kiln/kernels/cpu/onednn_common.h"
#include "kiln/kernels/cpu/onednn_kernels.h"

namespace kiln::kernels::cpu {

namespace {

using dnnl::memory;
using onednn::cpu_engine;

template <typename Primitive>
std::unique_ptr<Kernel> create(const ir::Node& node, const memory::desc& data, int axis,
                               const KernelOptions& options, std::string& why_not) {
  const typename Primitive::desc desc(dnnl::prop_kind::forward_inference, data, axis);
  const typename Primitive::primitive_desc pd(desc, onednn::default_attr(), cpu_engine());
  if (onednn::is_generic_impl(pd)) return onednn::decline_generic_impl(pd, why_not);
  return std::make_unique<onednn::SourceToDestinationKernel<Primitive>>(node, pd, options);
}

}  // namespace

std::unique_ptr<Kernel> make_onednn_softmax(const ir::Node& node, const KernelOptions& options,
                                            std::string& why_not) {
  const ir::Value& x = require_input(node, 0, "input");
  if (x.dtype() != DType::kFloat32) {
    why_not = fmt::format("input is {}; the oneDNN kernel is float32 only", dtype_name(x.dtype()));
    return nullptr;
  }
  const auto rank = static_cast<std::int64_t>(x.shape().rank());
  if (rank == 0 || x.shape().numel() == 0) {
    why_not = "scalar or empty input";
    return nullptr;
  }
  const std::int64_t axis = normalize_axis(node.attr_int("axis", -1), rank,
                                           fmt::format("{} attribute axis", node.describe()));
  // Only the axis matters: view the tensor as [outer, axis, inner], which oneDNN handles with
  // its fastest (dense, 3-D) implementations whatever the original rank.
  std::int64_t outer = 1;
  std::int64_t inner = 1;
  for (std::int64_t i = 0; i < axis; ++i) outer *= x.shape()[static_cast<std::size_t>(i)];
  for (std::int64_t i = axis + 1; i < rank; ++i) inner *= x.shape()[static_cast<std::size_t>(i)];
  const memory::desc data =
      onednn::plain_desc({outer, x.shape()[static_cast<std::size_t>(axis)], inner});
  return onednn::create_or_decline(options, why_not, [&]() -> std::unique_ptr<Kernel> {
    if (node.op() == ir::OpKind::kLogSoftmax) {
      return create<dnnl::logsoftmax_forward>(node, data, 1, options, why_not);
    }
    return create<dnnl::softmax_forward>(node, data, 1, options, why_not);
  });
}

}  // namespace kiln::kernels::cpu
