// oneDNN MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool on pooling_v2, reading and
// writing plain NCHW (pooling is memory-bound: a reorder into a blocked layout would move as many
// bytes as the pooling itself). oneDNN 2.6 has JIT kernels for 2-D and 3-D windows without
// dilation; 1-D, dilated and 3-channel inputs get generic implementations and the factory declines
// them.
//
// Semantics: oneDNN's max ignores padding, as ONNX does. Its avg_exclude_padding divides by the
// input positions in the window, which is count_include_pad=0 even under ceil_mode. Its
// avg_include_padding divides by the whole kernel, which is count_include_pad=1 only while no
// window reaches past pads_end; a ceil_mode window that does is declined (ONNX and PyTorch do
// not count those positions).

#include "kiln/kernels/cpu/onednn_common.h"
#include "kiln/kernels/cpu/onednn_kernels.h"
#include "kiln/kernels/reference/pool_attributes.h"

namespace kiln::kernels::cpu {

namespace {

using dnnl::memory;
using onednn::cpu_engine;

}  // namespace

std::unique_ptr<Kernel> make_onednn_pool(const ir::Node& node, const KernelOptions& options,
                                         std::string& why_not) {
  const reference::PoolParams p = reference::parse_pool_params(node);
  if (p.batch == 0 || p.channels == 0) {
    why_not = "empty tensors";
    return nullptr;
  }
  memory::dims pads_end;
  for (std::size_t i = 0; i < p.spatial_rank(); ++i) {
    // oneDNN sizes the output from the padding, so the ceil_mode overhang becomes padding.
    const std::int64_t overhang = std::max<std::int64_t>(0, p.overhang(i));
    if (overhang > 0 && p.count_include_pad) {
      why_not = fmt::format(
          "count_include_pad with a ceil_mode window past pads_end (axis {}): oneDNN would count "
          "the positions beyond the padding",
          i);
      return nullptr;
    }
    pads_end.push_back(p.pads_end[i] + overhang);
  }
  memory::dims src = {p.batch, p.channels};
  memory::dims dst = {p.batch, p.channels};
  src.insert(src.end(), p.in_spatial.begin(), p.in_spatial.end());
  dst.insert(dst.end(), p.out_spatial.begin(), p.out_spatial.end());
  memory::dims kernel = onednn::to_dims(p.kernel);
  memory::dims strides = onednn::to_dims(p.strides);
  memory::dims pads_begin = onednn::to_dims(p.pads_begin);
  memory::dims dilations;
  for (std::int64_t d : p.dilations) dilations.push_back(d - 1);
  if (node.op() == ir::OpKind::kGlobalAveragePool || node.op() == ir::OpKind::kGlobalMaxPool) {
    // PoolParams flattens the global pools to one axis; oneDNN has a JIT kernel for the real
    // 2-D / 3-D window but only a generic one for the flattened form.
    const Shape& x = node.input(0)->shape();
    if (x.rank() > 5) {
      why_not =
          fmt::format("global pooling over {} spatial axes (oneDNN takes 1 to 3)", x.rank() - 2);
      return nullptr;
    }
    src = onednn::to_dims(x);
    kernel.assign(src.begin() + 2, src.end());
    dst = {p.batch, p.channels};
    dst.resize(src.size(), 1);
    const memory::dims ones(kernel.size(), 1), zeros(kernel.size(), 0);
    strides = ones;
    pads_begin = zeros;
    pads_end = zeros;
    dilations = zeros;
  }
  const dnnl::algorithm algorithm = p.is_max ? dnnl::algorithm::pooling_max
                                    : p.count_include_pad
                                        ? dnnl::algorithm::pooling_avg_include_padding
                                        : dnnl::algorithm::pooling_avg_exclude_padding;
  return onednn::create_or_decline(options, why_not, [&]() -> std::unique_ptr<Kernel> {
    const dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm,
                                              onednn::plain_desc(src), onednn::plain_desc(dst),
                                              strides, kernel, dilations, pads_begin, pads_end);
    const dnnl::pooling_v2_forward::primitive_desc pd(desc, onednn::default_attr(), cpu_engine());
    if (onednn::is_generic_impl(pd)) return onednn::decline_generic_impl(pd, why_not);
    return std::make_unique<onednn::SourceToDestinationKernel<dnnl::pooling_v2_forward>>(node, pd,
                                                                                         options);
  });
}

}  // namespace kiln::kernels::cpu
