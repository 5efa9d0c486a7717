// oneDNN MatMul and Gemm, both on the matmul primitive. A constant B is reordered once, at
// creation, into the layout the primitive asks for (format `any`).
//
// Gemm's Y = alpha * A'B' + beta * C takes one of two forms:
//  - C absent, or constant with one value per column ([N] or [1, N]), and alpha foldable: alpha
//    is multiplied into the constant B and beta * C becomes the primitive's bias, computed once
//    (the usual Linear layer);
//  - otherwise: alpha is the primitive's output scale and beta * C a `sum` post-op on a
//    destination that run() first fills with the broadcast C.

#include <omp.h>

#include "kiln/kernels/cpu/onednn_common.h"
#include "kiln/kernels/cpu/onednn_kernels.h"
#include "kiln/kernels/cpu/onednn_post_ops.h"
#include "kiln/kernels/reference/gemm_attributes.h"

namespace kiln::kernels::cpu {

namespace {

using dnnl::memory;
using onednn::cpu_engine;
using onednn::OwnedMemory;
using onednn::PreparedConstant;

memory::desc any_desc(const memory::dims& dims) {
  return memory::desc(dims, memory::data_type::f32, memory::format_tag::any);
}

memory::desc strided_desc(const memory::dims& dims, const memory::dims& strides) {
  return memory::desc(dims, memory::data_type::f32, strides);
}

class OnednnMatMulKernel final : public onednn::OnednnKernel {
 public:
  OnednnMatMulKernel(const ir::Node& node, const dnnl::matmul::primitive_desc& pd,
                     const memory::desc& src, const memory::desc& weights_source,
                     const memory::desc& dst, onednn::PrimitivePostOps post_ops,
                     const KernelOptions& options)
      : OnednnKernel(node, pd, options), matmul_(pd), post_ops_(std::move(post_ops)) {
    src_ = memory(src, cpu_engine(), nullptr);
    dst_ = memory(dst, cpu_engine(), nullptr);
    args_[DNNL_ARG_SRC] = src_;
    args_[DNNL_ARG_DST] = dst_;
    post_ops_.add_arguments(args_);
    if (post_ops_.sum_input() >= 0) {
      // The residual goes into the output, which the sum post-op then adds to.
      sum_user_ = memory(dst, cpu_engine(), nullptr);
      sum_reorder_ = make_reorder(sum_user_, dst_);
    }
    const ir::Value& b = *node.input(1);
    if (b.is_constant()) {
      weights_ = PreparedConstant(b.constant(), weights_source, pd.weights_desc(),
                                  options.constants.get());
      args_[DNNL_ARG_WEIGHTS] = weights_.memory();
    } else {
      weights_runtime_ = memory(weights_source, cpu_engine(), nullptr);
      args_[DNNL_ARG_WEIGHTS] = weights_runtime_;
    }
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    onednn::bind(src_, inputs[0]);
    onednn::bind(dst_, outputs[0]);
    if (weights_runtime_) onednn::bind(weights_runtime_, inputs[1]);
    post_ops_.bind(inputs);
    if (sum_reorder_) {
      onednn::bind(sum_user_, inputs[static_cast<std::size_t>(post_ops_.sum_input())]);
      execute(sum_reorder_.primitive, sum_reorder_.args);
    }
    execute(matmul_);
  }

 private:
  dnnl::matmul matmul_;
  onednn::PrimitivePostOps post_ops_;
  memory sum_user_;
  onednn::ReorderStep sum_reorder_;
  memory src_;
  memory dst_;
  PreparedConstant weights_;
  memory weights_runtime_;
};

dnnl::matmul::primitive_desc create_matmul_pd(const memory::desc& src, const memory::desc& weights,
                                              const memory::desc& bias, const memory::desc& dst,
                                              const dnnl::primitive_attr& attr) {
  const dnnl::matmul::desc desc(src, weights, bias, dst);
  return dnnl::matmul::primitive_desc(desc, attr, cpu_engine());
}

}  // namespace

std::unique_ptr<Kernel> make_onednn_matmul(const ir::Node& node, const KernelOptions& options,
                                           std::string& why_not) {
  const reference::MatMulParams p = reference::parse_matmul_params(node);
  if (p.m == 0 || p.k == 0 || p.n == 0 || p.batch_count() == 0) {
    why_not = "empty tensors";
    return nullptr;
  }
  // oneDNN wants every operand at the output's rank: 1-D operands become matrices and batch
  // axes are left-padded with 1 (where oneDNN broadcasts).
  memory::dims src = onednn::to_dims(p.a_batch);
  memory::dims weights = onednn::to_dims(p.b_batch);
  memory::dims dst = onednn::to_dims(p.batch);
  src.insert(src.end(), {p.m, p.k});
  weights.insert(weights.end(), {p.k, p.n});
  dst.insert(dst.end(), {p.m, p.n});
  const bool constant_b = node.input(1)->is_constant();
  const memory::desc weights_source = onednn::plain_desc(weights);
  std::optional<onednn::PrimitivePostOps> post_ops =
      onednn::PrimitivePostOps::create(node, dst, why_not);
  if (!post_ops) return nullptr;
  return onednn::create_or_decline(options, why_not, [&]() -> std::unique_ptr<Kernel> {
    dnnl::primitive_attr attr = onednn::default_attr();
    post_ops->apply_to(attr);
    const dnnl::matmul::primitive_desc pd =
        create_matmul_pd(onednn::plain_desc(src), constant_b ? any_desc(weights) : weights_source,
                         memory::desc(), onednn::plain_desc(dst), attr);
    if (onednn::is_generic_impl(pd)) return onednn::decline_generic_impl(pd, why_not);
    return std::make_unique<OnednnMatMulKernel>(node, pd, onednn::plain_desc(src), weights_source,
                                                onednn::plain_desc(dst), std::move(*post_ops),
                                                options);
  });
}

namespace {

class OnednnGemmKernel final : public onednn::OnednnKernel {
 public:
  // `weights` is the prepared B (alpha folded in when `alpha_in_weights`); `bias` the prepared
  // beta * C when C is folded into the bias.
  OnednnGemmKernel(const ir::Node& node, const reference::GemmParams& p,
                   const dnnl::matmul::primitive_desc& pd, const memory::desc& src,
                   const memory::desc& weights_source, PreparedConstant weights, OwnedMemory bias,
                   bool c_as_bias, onednn::PrimitivePostOps post_ops, const KernelOptions& options)
      : OnednnKernel(node, pd, options),
        matmul_(pd),
        p_(p),
        c_as_bias_(c_as_bias),
        post_ops_(std::move(post_ops)) {
    src_ = memory(src, cpu_engine(), nullptr);
    dst_ = memory(onednn::plain_desc({p.m, p.n}), cpu_engine(), nullptr);
    args_[DNNL_ARG_SRC] = src_;
    args_[DNNL_ARG_DST] = dst_;
    if (weights.memory()) {
      weights_ = std::move(weights);
      args_[DNNL_ARG_WEIGHTS] = weights_.memory();
    } else {
      weights_runtime_ = memory(weights_source, cpu_engine(), nullptr);
      args_[DNNL_ARG_WEIGHTS] = weights_runtime_;
    }
    if (bias.memory()) {
      bias_ = std::move(bias);
      args_[DNNL_ARG_BIAS] = bias_.memory();
    }
    post_ops_.add_arguments(args_);
    if (post_ops_.sum_input() >= 0) {
      // The residual goes into the output, which the sum post-op then adds to (C took no sum).
      sum_user_ = memory(dst_.get_desc(), cpu_engine(), nullptr);
      sum_reorder_ = make_reorder(sum_user_, dst_);
    }
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    onednn::bind(src_, inputs[0]);
    onednn::bind(dst_, outputs[0]);
    if (weights_runtime_) onednn::bind(weights_runtime_, inputs[1]);
    if (p_.has_c && !c_as_bias_) fill_with_c(inputs[2], outputs[0]);
    post_ops_.bind(inputs);
    if (sum_reorder_) {
      onednn::bind(sum_user_, inputs[static_cast<std::size_t>(post_ops_.sum_input())]);
      execute(sum_reorder_.primitive, sum_reorder_.args);
    }
    execute(matmul_);
  }

 private:
  // The destination starts as the broadcast C; the sum post-op scales it by beta.
  void fill_with_c(const Tensor& c_tensor, Tensor& out) const {
    const float* c = c_tensor.data<float>();
    float* dst = out.data<float>();
    const std::int64_t row_stride = p_.c_rows == 1 ? 0 : p_.c_cols;
    const std::int64_t col_stride = p_.c_cols == 1 ? 0 : 1;
    const int threads = threads_ > 0 ? threads_ : omp_get_max_threads();
#pragma omp parallel for schedule(static) num_threads(threads) if (p_.m * p_.n > 65536)
    for (std::int64_t m = 0; m < p_.m; ++m) {
      for (std::int64_t n = 0; n < p_.n; ++n) {
        dst[m * p_.n + n] = c[m * row_stride + n * col_stride];
      }
    }
  }

  dnnl::matmul matmul_;
  reference::GemmParams p_;
  bool c_as_bias_;
  onednn::PrimitivePostOps post_ops_;
  memory sum_user_;
  onednn::ReorderStep sum_reorder_;
  memory src_;
  memory dst_;
  PreparedConstant weights_;
  memory weights_runtime_;
  OwnedMemory bias_;
};

// beta * C broadcast to [c_rows, c_cols], in an owned buffer.
OwnedMemory scaled_c(const Tensor& c, float beta, const memory::desc& desc) {
  OwnedMemory bias(desc);
  const float* src = c.data<float>();
  float* dst = static_cast<float*>(bias.data());
  for (std::int64_t i = 0; i < c.numel(); ++i) dst[i] = beta * src[i];
  return bias;
}

}  // namespace

std::unique_ptr<Kernel> make_onednn_gemm(const ir::Node& node, const KernelOptions& options,
                                         std::string& why_not) {
  const reference::GemmParams p = reference::parse_gemm_params(node);
  if (p.m == 0 || p.k == 0 || p.n == 0) {
    why_not = "empty tensors";
    return nullptr;
  }
  const memory::desc src =
      p.trans_a ? strided_desc({p.m, p.k}, {1, p.m}) : strided_desc({p.m, p.k}, {p.k, 1});
  const memory::desc weights_source =
      p.trans_b ? strided_desc({p.k, p.n}, {1, p.k}) : strided_desc({p.k, p.n}, {p.n, 1});
  const memory::desc dst = onednn::plain_desc({p.m, p.n});
  const ir::Value& b = *node.input(1);
  const bool constant_b = b.is_constant();
  const bool constant_c = p.has_c && node.input(2)->is_constant();
  const bool alpha_foldable = p.alpha == 1.f || constant_b;
  // oneDNN 2.6's fast matmul takes a bias per output column only ([1, N]); other broadcasts of
  // C go through the sum post-op.
  const bool c_is_row = p.c_rows == 1 && p.c_cols == p.n;
  const bool c_as_bias = alpha_foldable && (!p.has_c || (constant_c && c_is_row));

  return onednn::create_or_decline(options, why_not, [&]() -> std::unique_ptr<Kernel> {
    dnnl::primitive_attr attr = onednn::default_attr();
    memory::desc bias_desc;
    if (c_as_bias && p.has_c) bias_desc = onednn::plain_desc({p.c_rows, p.c_cols});
    dnnl::post_ops leading;
    if (!c_as_bias) {
      if (p.alpha != 1.f) attr.set_output_scales(0, {p.alpha});
      if (p.has_c) leading.append_sum(p.beta);
    }
    std::optional<onednn::PrimitivePostOps> post_ops =
        onednn::PrimitivePostOps::create(node, {p.m, p.n}, why_not, leading);
    if (!post_ops) return nullptr;
    post_ops->apply_to(attr);
    const dnnl::matmul::primitive_desc pd = create_matmul_pd(
        src, constant_b ? any_desc({p.k, p.n}) : weights_source, bias_desc, dst, attr);
    if (onednn::is_generic_impl(pd)) return onednn::decline_generic_impl(pd, why_not);

    PreparedConstant weights;
    if (constant_b) {
      Tensor source = b.constant();
      if (c_as_bias && p.alpha != 1.f) {
        source = source.clone();
        for (float& v : source.span<float>()) v *= p.alpha;
      }
      // An alpha-scaled B is this kernel's own tensor: share only the model's constant.
      weights =
          PreparedConstant(source, weights_source, pd.weights_desc(),
                           source.raw() == b.constant().raw() ? options.constants.get() : nullptr);
    }
    OwnedMemory bias;
    if (c_as_bias && p.has_c) bias = scaled_c(node.input(2)->constant(), p.beta, bias_desc);
    return std::make_unique<OnednnGemmKernel>(node, p, pd, src, weights_source, std::move(weights),
                                              std::move(bias), c_as_bias, std::move(*post_ops),
                                              options);
  });
}

}  // namespace kiln::kernels::cpu
