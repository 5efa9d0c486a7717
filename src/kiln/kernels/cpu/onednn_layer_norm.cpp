// oneDNN layer_normalization for LayerNormalization over the last axis (what transformers use),
// float32, with Scale and optional B, and only the Y output (kiln's fused LayerNorm; a model
// that reads Mean or InvStdDev runs on the reference kernel).

#include "kiln/kernels/cpu/onednn_common.h"
#include "kiln/kernels/cpu/onednn_kernels.h"

namespace kiln::kernels::cpu {

namespace {

using dnnl::memory;
using onednn::cpu_engine;

class OnednnLayerNormKernel final : public onednn::OnednnKernel {
 public:
  OnednnLayerNormKernel(const ir::Node& node,
                        const dnnl::layer_normalization_forward::primitive_desc& pd,
                        std::int64_t channels, const KernelOptions& options)
      : OnednnKernel(node, pd, options), primitive_(pd) {
    src_ = memory(pd.src_desc(), cpu_engine(), nullptr);
    dst_ = memory(pd.dst_desc(), cpu_engine(), nullptr);
    args_[DNNL_ARG_SRC] = src_;
    args_[DNNL_ARG_DST] = dst_;
    // Inference still writes the row statistics somewhere: the shared scratch space.
    args_[DNNL_ARG_MEAN] = scratch_memory(pd.mean_desc());
    args_[DNNL_ARG_VARIANCE] = scratch_memory(pd.variance_desc());
    const memory::desc parameter = onednn::plain_desc({channels});
    scale_ = memory(parameter, cpu_engine(), nullptr);
    args_[DNNL_ARG_SCALE] = scale_;
    if (node.input(2) != nullptr) {
      shift_ = memory(parameter, cpu_engine(), nullptr);
      args_[DNNL_ARG_SHIFT] = shift_;
    }
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    onednn::bind(src_, inputs[0]);
    onednn::bind(dst_, outputs[0]);
    onednn::bind(scale_, inputs[1]);
    if (shift_) onednn::bind(shift_, inputs[2]);
    execute(primitive_);
  }

 private:
  dnnl::layer_normalization_forward primitive_;
  memory src_;
  memory dst_;
  memory scale_;
  memory shift_;
};

}  // namespace

std::unique_ptr<Kernel> make_onednn_layer_norm(const ir::Node& node, const KernelOptions& options,
                                               std::string& why_not) {
  const ir::Value& x = require_input(node, 0, "X");
  const auto rank = static_cast<std::int64_t>(x.shape().rank());
  std::int64_t axis = node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (x.dtype() != DType::kFloat32 || rank < 1 || axis != rank - 1) {
    why_not = "oneDNN's layer normalization here is float32 over the last axis only";
    return nullptr;
  }
  if (node.output_count() > 1) {
    why_not = "the Mean and InvStdDev outputs are not computed by the oneDNN kernel";
    return nullptr;
  }
  const std::int64_t channels = x.shape().dims().back();
  for (std::size_t i = 1; i < 3; ++i) {
    const ir::Value* parameter = node.input(i);
    if (parameter != nullptr && parameter->shape().numel() != channels) {
      why_not =
          fmt::format("input {} has {} values, not one per channel", i, parameter->shape().numel());
      return nullptr;
    }
  }
  if (x.shape().numel() == 0) {
    why_not = "empty tensors";
    return nullptr;
  }
  return onednn::create_or_decline(options, why_not, [&]() -> std::unique_ptr<Kernel> {
    const memory::desc data = onednn::plain_desc(onednn::to_dims(x.shape()));
    auto flags = dnnl::normalization_flags::use_scale;
    if (node.input(2) != nullptr) flags = flags | dnnl::normalization_flags::use_shift;
    const dnnl::layer_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, data,
                                                       node.attr_float("epsilon", 1e-5f), flags);
    const dnnl::layer_normalization_forward::primitive_desc pd(desc, onednn::default_attr(),
                                                               cpu_engine());
    // "simple_layer_normalization:any" is not generic: it runs jit statistics and data kernels
    // for the machine's ISA inside.
    return std::make_unique<OnednnLayerNormKernel>(node, pd, channels, options);
  });
}

}  // namespace kiln::kernels::cpu
