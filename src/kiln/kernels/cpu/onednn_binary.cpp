// oneDNN binary for float32 Add, Sub, Mul and Div. oneDNN 2.6 broadcasts only its second
// operand, so the kernel takes the cases where one operand already has the output's shape: as
// is, or swapped for the commutative Add and Mul (x + bias written as bias + x). Max and Min stay
// with the reference, which propagates NaN as numpy does; oneDNN's max does not.

#include <optional>

#include "kiln/kernels/cpu/onednn_common.h"
#include "kiln/kernels/cpu/onednn_kernels.h"
#include "kiln/kernels/cpu/onednn_post_ops.h"

namespace kiln::kernels::cpu {

namespace {

using dnnl::memory;
using onednn::cpu_engine;

std::optional<dnnl::algorithm> binary_algorithm(ir::OpKind op) {
  switch (op) {
    case ir::OpKind::kAdd:
      return dnnl::algorithm::binary_add;
    case ir::OpKind::kSub:
      return dnnl::algorithm::binary_sub;
    case ir::OpKind::kMul:
      return dnnl::algorithm::binary_mul;
    case ir::OpKind::kDiv:
      return dnnl::algorithm::binary_div;
    default:
      return std::nullopt;
  }
}

// `shape` with leading 1s up to `rank` (numpy broadcasting aligns trailing dims).
memory::dims aligned_dims(const Shape& shape, std::size_t rank) {
  memory::dims dims(rank - shape.rank(), 1);
  for (std::int64_t d : shape.dims()) dims.push_back(d);
  return dims;
}

class OnednnBinaryKernel final : public onednn::OnednnKernel {
 public:
  OnednnBinaryKernel(const ir::Node& node, const dnnl::binary::primitive_desc& pd, bool swapped,
                     onednn::PrimitivePostOps post_ops, const KernelOptions& options)
      : OnednnKernel(node, pd, options),
        binary_(pd),
        swapped_(swapped),
        post_ops_(std::move(post_ops)) {
    src0_ = memory(pd.src_desc(0), cpu_engine(), nullptr);
    src1_ = memory(pd.src_desc(1), cpu_engine(), nullptr);
    dst_ = memory(pd.dst_desc(), cpu_engine(), nullptr);
    args_[DNNL_ARG_SRC_0] = src0_;
    args_[DNNL_ARG_SRC_1] = src1_;
    args_[DNNL_ARG_DST] = dst_;
    post_ops_.add_arguments(args_);
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    onednn::bind(src0_, inputs[swapped_ ? 1 : 0]);
    onednn::bind(src1_, inputs[swapped_ ? 0 : 1]);
    onednn::bind(dst_, outputs[0]);
    post_ops_.bind(inputs);
    execute(binary_);
  }

 private:
  dnnl::binary binary_;
  bool swapped_;
  onednn::PrimitivePostOps post_ops_;
  memory src0_;
  memory src1_;
  memory dst_;
};

}  // namespace

std::unique_ptr<Kernel> make_onednn_binary(const ir::Node& node, const KernelOptions& options,
                                           std::string& why_not) {
  const std::optional<dnnl::algorithm> algorithm = binary_algorithm(node.op());
  if (!algorithm) {
    why_not = fmt::format("no oneDNN binary algorithm for {}", node.op_name());
    return nullptr;
  }
  const ir::Value& a = require_input(node, 0, "A");
  const ir::Value& b = require_input(node, 1, "B");
  const ir::Value& out = *node.output(0);
  if (a.dtype() != DType::kFloat32 || b.dtype() != DType::kFloat32) {
    why_not = "the oneDNN kernel is float32 only";
    return nullptr;
  }
  if (out.shape().numel() == 0 || out.shape().rank() == 0 || out.shape().rank() > 12) {
    why_not = "empty, scalar or very high-rank output";
    return nullptr;
  }
  const std::size_t rank = out.shape().rank();
  const memory::dims dst_dims = aligned_dims(out.shape(), rank);
  bool swapped = false;
  if (aligned_dims(a.shape(), rank) != dst_dims) {
    const bool commutative = ir::has_trait(node.op(), ir::kCommutative);
    if (!commutative || aligned_dims(b.shape(), rank) != dst_dims) {
      why_not = "both operands broadcast; oneDNN 2.6 broadcasts only its second operand";
      return nullptr;
    }
    swapped = true;
  }
  const ir::Value& first = swapped ? b : a;
  const ir::Value& second = swapped ? a : b;
  std::optional<onednn::PrimitivePostOps> post_ops =
      onednn::PrimitivePostOps::create(node, dst_dims, why_not, {}, /*allow_sum=*/false);
  if (!post_ops) return nullptr;
  return onednn::create_or_decline(options, why_not, [&]() -> std::unique_ptr<Kernel> {
    dnnl::primitive_attr attr = onednn::default_attr();
    post_ops->apply_to(attr);
    const dnnl::binary::desc desc(*algorithm, onednn::plain_desc(aligned_dims(first.shape(), rank)),
                                  onednn::plain_desc(aligned_dims(second.shape(), rank)),
                                  onednn::plain_desc(dst_dims));
    const dnnl::binary::primitive_desc pd(desc, attr, cpu_engine());
    if (onednn::is_generic_impl(pd)) return onednn::decline_generic_impl(pd, why_not);
    return std::make_unique<OnednnBinaryKernel>(node, pd, swapped, std::move(*post_ops), options);
  });
}

}  // namespace kiln::kernels::cpu
