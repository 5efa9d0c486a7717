// oneDNN Conv and ConvTranspose. Weights (constant in every real model) are reordered once, at
// creation, into the layout the primitive asks for (format `any`). Activations stay plain NCHW at
// the kernel boundary; inside, the primitive either reads/writes NCHW itself (kPlain) or works in
// the blocked layout it prefers with reorders into and out of buffers owned by the kernel
// (kBlocked). See choose_layout() for which one kAuto takes.

#include <fmt/ranges.h>

#include <algorithm>

#include "kiln/kernels/cpu/onednn_common.h"
#include "kiln/kernels/cpu/onednn_kernels.h"
#include "kiln/kernels/cpu/onednn_post_ops.h"
#include "kiln/kernels/reference/conv_attributes.h"

namespace kiln::kernels::cpu {

namespace {

using dnnl::memory;
using onednn::cpu_engine;
using onednn::PreparedConstant;
using onednn::ReorderStep;
using reference::ConvParams;

// The descriptors of one convolution, in oneDNN's terms.
struct ConvShapes {
  memory::dims src, weights, bias, dst;
  memory::dims strides, dilations, pads_begin, pads_end;
  // How ONNX lays out the weights, in oneDNN's logical weight dims.
  memory::desc weights_source;
};

ConvShapes conv_shapes(const ConvParams& p) {
  ConvShapes s;
  s.src = {p.batch, p.in_channels};
  s.dst = {p.batch, p.out_channels};
  s.src.insert(s.src.end(), p.in_spatial.begin(), p.in_spatial.end());
  s.dst.insert(s.dst.end(), p.out_spatial.begin(), p.out_spatial.end());
  s.bias = {p.out_channels};
  const std::int64_t ocg = p.out_channels_per_group(), icg = p.in_channels_per_group();
  if (p.group > 1) s.weights.push_back(p.group);
  s.weights.push_back(ocg);
  s.weights.push_back(icg);
  s.weights.insert(s.weights.end(), p.kernel.begin(), p.kernel.end());
  s.strides = onednn::to_dims(p.strides);
  // oneDNN counts dilation as the gap between taps: ONNX dilation 1 is oneDNN 0.
  for (std::int64_t d : p.dilations) s.dilations.push_back(d - 1);
  s.pads_begin = onednn::to_dims(p.pads_begin);
  s.pads_end = onednn::to_dims(p.pads_end);
  if (!p.transposed) {
    // ONNX [M, C/group, k...] is [group, M/group, C/group, k...] row-major: goihw.
    s.weights_source = onednn::plain_desc(s.weights);
  } else {
    // ONNX ConvTranspose weights are [C, M/group, k...] = [group, C/group, M/group, k...]
    // row-major, while oneDNN's logical order is (group, M/group, C/group, k...).
    std::int64_t kernel_size = 1;
    for (std::int64_t k : p.kernel) kernel_size *= k;
    memory::dims strides;
    if (p.group > 1) strides.push_back(icg * ocg * kernel_size);
    strides.push_back(kernel_size);        // output channel
    strides.push_back(ocg * kernel_size);  // input channel
    memory::dims spatial(p.kernel.size(), 1);
    for (std::size_t i = p.kernel.size(); i-- > 1;) spatial[i - 1] = spatial[i] * p.kernel[i];
    strides.insert(strides.end(), spatial.begin(), spatial.end());
    s.weights_source = memory::desc(s.weights, memory::data_type::f32, strides);
  }
  return s;
}

memory::desc any_desc(const memory::dims& dims) {
  return memory::desc(dims, memory::data_type::f32, memory::format_tag::any);
}

// A convolution or deconvolution primitive descriptor (they share everything but the kind).
struct ConvPrimitive {
  dnnl::primitive_desc pd;
  dnnl::primitive primitive;
};

ConvPrimitive create_primitive(const ConvParams& p, const ConvShapes& s, bool blocked,
                               bool constant_weights, const onednn::PrimitivePostOps& post_ops) {
  const memory::desc src = blocked ? any_desc(s.src) : onednn::plain_desc(s.src);
  const memory::desc dst = blocked ? any_desc(s.dst) : onednn::plain_desc(s.dst);
  const memory::desc weights = constant_weights ? any_desc(s.weights) : s.weights_source;
  const memory::desc bias = p.has_bias ? onednn::plain_desc(s.bias) : memory::desc();
  dnnl::primitive_attr attr = onednn::default_attr();
  post_ops.apply_to(attr);
  if (p.transposed) {
    const dnnl::deconvolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct, src, weights,
        bias, dst, s.strides, s.dilations, s.pads_begin, s.pads_end);
    dnnl::deconvolution_forward::primitive_desc pd(desc, attr, cpu_engine());
    return {pd, dnnl::deconvolution_forward(pd)};
  }
  const dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, weights, bias,
      dst, s.strides, s.dilations, s.pads_begin, s.pads_end);
  dnnl::convolution_forward::primitive_desc pd(desc, attr, cpu_engine());
  return {pd, dnnl::convolution_forward(pd)};
}

class OnednnConvKernel final : public onednn::OnednnKernel {
 public:
  OnednnConvKernel(const ir::Node& node, const ConvParams& p, const ConvShapes& s,
                   ConvPrimitive conv, onednn::PrimitivePostOps post_ops,
                   const KernelOptions& options)
      : OnednnKernel(node, conv.pd, options),
        conv_(std::move(conv)),
        post_ops_(std::move(post_ops)) {
    const memory::desc src_plain = onednn::plain_desc(s.src);
    const memory::desc dst_plain = onednn::plain_desc(s.dst);
    src_user_ = memory(src_plain, cpu_engine(), nullptr);
    dst_user_ = memory(dst_plain, cpu_engine(), nullptr);

    const memory::desc src_md = conv_.pd.src_desc();
    if (src_md == src_plain) {
      args_[DNNL_ARG_SRC] = src_user_;
    } else {
      const memory src_blocked = scratch_memory(src_md);
      args_[DNNL_ARG_SRC] = src_blocked;
      src_reorder_ = make_reorder(src_user_, src_blocked);
    }
    const memory::desc dst_md = conv_.pd.dst_desc();
    if (post_ops_.sum_input() >= 0) {
      sum_user_ = memory(dst_plain, cpu_engine(), nullptr);
    }
    if (dst_md == dst_plain) {
      args_[DNNL_ARG_DST] = dst_user_;
      // The residual goes into the output itself, which the sum post-op then adds to.
      if (sum_user_) sum_reorder_ = make_reorder(sum_user_, dst_user_);
    } else {
      const memory dst_blocked = scratch_memory(dst_md);
      args_[DNNL_ARG_DST] = dst_blocked;
      dst_reorder_ = make_reorder(dst_blocked, dst_user_);
      if (sum_user_) sum_reorder_ = make_reorder(sum_user_, dst_blocked);
    }
    post_ops_.add_arguments(args_);

    const ir::Value& w = *node.input(1);
    if (w.is_constant()) {
      weights_ = PreparedConstant(w.constant(), s.weights_source, conv_.pd.weights_desc(),
                                  options.constants.get());
      args_[DNNL_ARG_WEIGHTS] = weights_.memory();
    } else {
      weights_runtime_ = memory(s.weights_source, cpu_engine(), nullptr);
      args_[DNNL_ARG_WEIGHTS] = weights_runtime_;
    }
    if (p.has_bias) {
      const ir::Value& b = *node.input(2);
      if (b.is_constant()) {
        bias_ = PreparedConstant(b.constant(), onednn::plain_desc(s.bias),
                                 conv_.pd.query_md(dnnl::query::weights_md, 1),
                                 options.constants.get());
        args_[DNNL_ARG_BIAS] = bias_.memory();
      } else {
        bias_runtime_ = memory(onednn::plain_desc(s.bias), cpu_engine(), nullptr);
        args_[DNNL_ARG_BIAS] = bias_runtime_;
      }
    }
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    onednn::bind(src_user_, inputs[0]);
    onednn::bind(dst_user_, outputs[0]);
    if (weights_runtime_) onednn::bind(weights_runtime_, inputs[1]);
    if (bias_runtime_) onednn::bind(bias_runtime_, inputs[2]);
    post_ops_.bind(inputs);
    if (sum_reorder_) {
      onednn::bind(sum_user_, inputs[static_cast<std::size_t>(post_ops_.sum_input())]);
      execute(sum_reorder_.primitive, sum_reorder_.args);
    }
    if (src_reorder_) execute(src_reorder_.primitive, src_reorder_.args);
    execute(conv_.primitive);
    if (dst_reorder_) execute(dst_reorder_.primitive, dst_reorder_.args);
  }

 private:
  ConvPrimitive conv_;
  onednn::PrimitivePostOps post_ops_;
  memory src_user_;
  memory sum_user_;
  ReorderStep sum_reorder_;
  memory dst_user_;
  ReorderStep src_reorder_;
  ReorderStep dst_reorder_;
  PreparedConstant weights_;
  PreparedConstant bias_;
  memory weights_runtime_;
  memory bias_runtime_;
};

// The layout rule of kAuto, from bench/kernels_benchmark.cpp on an AVX-512 machine (oneDNN
// 2.6, one thread, plain in and out measured end to end, reorders included):
//  - an ungrouped 1x1 convolution on NCHW is one sgemm per image, which oneDNN's gemm:jit does
//    2x faster than brgconv_1x1 plus the reorders (ResNet 1x1 256->64 @56: 0.47 vs 1.15 ms;
//    64->256: 0.48 vs 0.87 ms; stride 2 512->1024 @28: 1.2 vs 1.8 ms);
//  - every other convolution runs faster blocked, reorders included: 3x3 by 1.4-1.6x (ResNet
//    3x3 64 @56: 1.22 vs 1.96 ms), grouped 1.8x (DPN g32), depthwise 4-8x (EfficientNet dw5x5
//    s2: 0.11 vs 0.87 ms), the 7x7 stem and 16x16 patch convs 1.3-1.5x, ConvTranspose 4x4 s2
//    2x, because the plain path falls back to im2col + gemm.
bool choose_blocked(const ConvParams& p) {
  const bool pointwise =
      std::all_of(p.kernel.begin(), p.kernel.end(), [](std::int64_t k) { return k == 1; });
  return p.transposed || p.group != 1 || !pointwise;
}

}  // namespace

std::unique_ptr<Kernel> create_onednn_conv(const ir::Node& node, const KernelOptions& options,
                                           std::string& why_not, ConvLayout layout) {
  const ConvParams p = node.op() == ir::OpKind::kConvTranspose
                           ? reference::parse_conv_transpose_params(node)
                           : reference::parse_conv_params(node);
  if (p.batch == 0 || p.in_channels == 0 || p.out_channels == 0) {
    why_not = "empty tensors";
    return nullptr;
  }
  if (p.transposed) {
    for (std::size_t i = 0; i < p.spatial_rank(); ++i) {
      if (p.pads_begin[i] < 0 || p.pads_end[i] < 0) {
        why_not = fmt::format(
            "ConvTranspose with negative padding (pads {} / {} after output_padding and "
            "output_shape) is not a oneDNN deconvolution",
            fmt::join(p.pads_begin, ","), fmt::join(p.pads_end, ","));
        return nullptr;
      }
    }
    if (!node.input(1)->is_constant()) {
      why_not = "ConvTranspose weights computed at run time (oneDNN wants them reordered)";
      return nullptr;
    }
  }
  const ConvShapes s = conv_shapes(p);
  const bool constant_weights = node.input(1)->is_constant();
  const bool blocked =
      layout == ConvLayout::kBlocked || (layout == ConvLayout::kAuto && choose_blocked(p));
  std::optional<onednn::PrimitivePostOps> post_ops =
      onednn::PrimitivePostOps::create(node, s.dst, why_not);
  if (!post_ops) return nullptr;
  return onednn::create_or_decline(options, why_not, [&]() -> std::unique_ptr<Kernel> {
    ConvPrimitive conv = create_primitive(p, s, blocked, constant_weights, *post_ops);
    if (onednn::is_generic_impl(conv.pd)) {
      return onednn::decline_generic_impl(conv.pd, why_not);
    }
    return std::make_unique<OnednnConvKernel>(node, p, s, std::move(conv), std::move(*post_ops),
                                              options);
  });
}

std::unique_ptr<Kernel> make_onednn_conv(const ir::Node& node, const KernelOptions& options,
                                         std::string& why_not) {
  return create_onednn_conv(node, options, why_not, ConvLayout::kAuto);
}

}  // namespace kiln::kernels::cpu
