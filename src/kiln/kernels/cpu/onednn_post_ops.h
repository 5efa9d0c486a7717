#pragma once

// A fused node's post-ops (ir/post_ops.h) as oneDNN post-ops on its primitive. Internal to
// kernels/cpu.

#include <optional>
#include <vector>

#include "kiln/kernels/cpu/onednn_common.h"

namespace kiln::kernels::cpu::onednn {

/// The oneDNN eltwise algorithm computing a unary op with kiln's semantics and accuracy (see
/// onednn_eltwise.cpp for the measured error), or nullopt.
struct EltwiseAlgorithm {
  dnnl::algorithm kind;
  float alpha = 0.f;
  float beta = 0.f;
};
std::optional<EltwiseAlgorithm> eltwise_algorithm(ir::OpKind op, const ir::Attributes& attributes);

/// The post-ops of a primitive whose destination has `dst_dims` (plain, at the node output's
/// rank), and how their operands reach it at run time.
class PrimitivePostOps {
 public:
  /// Translates the node's post-ops, after `leading` (post-ops the kernel appends itself first,
  /// such as Gemm's beta * C sum). Returns nullopt and sets `why_not` for one oneDNN cannot do.
  /// `allow_sum`: whether a residual Add may be oneDNN's sum (the kernel prefills the
  /// destination); otherwise it is a binary post-op like any other.
  static std::optional<PrimitivePostOps> create(const ir::Node& node,
                                                const dnnl::memory::dims& dst_dims,
                                                std::string& why_not,
                                                const dnnl::post_ops& leading = {},
                                                bool allow_sum = true);

  /// The attributes for the primitive: `attr` with these post-ops set.
  void apply_to(dnnl::primitive_attr& attr) const { attr.set_post_ops(ops_); }
  /// Adds the binary operands to a primitive's argument map (constants bound once here).
  void add_arguments(std::unordered_map<int, dnnl::memory>& args) const;
  /// Points the run-time binary operands at this run's inputs.
  void bind(std::span<const Tensor> inputs) const;
  /// The node input whose values the destination must hold before the primitive runs (a
  /// residual Add done as oneDNN's `sum`), or -1.
  std::ptrdiff_t sum_input() const { return sum_input_; }
  bool empty() const { return ops_.len() == 0; }

 private:
  struct Operand {
    int position = 0;       // in the post-op chain
    std::size_t input = 0;  // the node's input index
    dnnl::memory memory;    // bound per run, or once for a constant
    bool constant = false;
    Tensor keep_alive;  // the constant's data
  };
  dnnl::post_ops ops_;
  std::vector<Operand> operands_;
  std::ptrdiff_t sum_input_ = -1;
};

}  // namespace kiln::kernels::cpu::onednn
