// oneDNN BatchNormalization (inference: global statistics, scale and shift). X is viewed as
// [N, C, 1, plane] so any rank >= 2 maps to one primitive. oneDNN 2.6 has a JIT kernel only for
// channels-last data: with no spatial extent (plane 1, e.g. after a Linear layer) NCHW is also
// NHWC, and the kernel runs; with spatial axes oneDNN offers only its generic ncsp_bnorm, 3x
// slower than kiln's reference loop, so the factory declines.

#include "kiln/kernels/cpu/onednn_common.h"
#include "kiln/kernels/cpu/onednn_kernels.h"
#include "kiln/kernels/reference/normalization_attributes.h"

namespace kiln::kernels::cpu {

namespace {

using dnnl::memory;
using onednn::cpu_engine;

// BatchNormalization's inputs 1 to 4 and oneDNN's names for them.
constexpr int kChannelArgs[] = {DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE};

class OnednnBatchNormKernel final : public onednn::OnednnKernel {
 public:
  OnednnBatchNormKernel(const ir::Node& node,
                        const dnnl::batch_normalization_forward::primitive_desc& pd,
                        std::int64_t channels, const KernelOptions& options)
      : OnednnKernel(node, pd, options), batch_norm_(pd) {
    src_ = memory(pd.src_desc(), cpu_engine(), nullptr);
    dst_ = memory(pd.dst_desc(), cpu_engine(), nullptr);
    args_[DNNL_ARG_SRC] = src_;
    args_[DNNL_ARG_DST] = dst_;
    const memory::desc vector = onednn::plain_desc({channels});
    for (std::size_t i = 0; i < 4; ++i) {
      const ir::Value& value = *node.input(i + 1);
      if (value.is_constant()) {
        constants_[i] = onednn::PreparedConstant(value.constant(), vector, vector, nullptr);
        args_[kChannelArgs[i]] = constants_[i].memory();
      } else {
        runtime_[i] = memory(vector, cpu_engine(), nullptr);
        args_[kChannelArgs[i]] = runtime_[i];
      }
    }
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    onednn::bind(src_, inputs[0]);
    onednn::bind(dst_, outputs[0]);
    for (std::size_t i = 0; i < 4; ++i) {
      if (runtime_[i]) onednn::bind(runtime_[i], inputs[i + 1]);
    }
    execute(batch_norm_);
  }

 private:
  dnnl::batch_normalization_forward batch_norm_;
  memory src_;
  memory dst_;
  onednn::PreparedConstant constants_[4];
  memory runtime_[4];
};

}  // namespace

std::unique_ptr<Kernel> make_onednn_batch_norm(const ir::Node& node, const KernelOptions& options,
                                               std::string& why_not) {
  const reference::BatchNormParams p = reference::parse_batch_norm_params(node);
  if (p.batch == 0 || p.channels == 0 || p.plane == 0) {
    why_not = "empty tensors";
    return nullptr;
  }
  return onednn::create_or_decline(options, why_not, [&]() -> std::unique_ptr<Kernel> {
    const memory::desc data = p.plane == 1
                                  ? memory::desc({p.batch, p.channels, 1, 1},
                                                 memory::data_type::f32, memory::format_tag::nhwc)
                                  : onednn::plain_desc({p.batch, p.channels, 1, p.plane});
    const dnnl::batch_normalization_forward::desc desc(
        dnnl::prop_kind::forward_inference, data, p.epsilon,
        dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
            dnnl::normalization_flags::use_shift);
    const dnnl::batch_normalization_forward::primitive_desc pd(desc, onednn::default_attr(),
                                                               cpu_engine());
    if (onednn::is_generic_impl(pd)) return onednn::decline_generic_impl(pd, why_not);
    return std::make_unique<OnednnBatchNormKernel>(node, pd, p.channels, options);
  });
}

}  // namespace kiln::kernels::cpu
