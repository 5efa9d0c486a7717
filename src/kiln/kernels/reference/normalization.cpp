// Reference BatchNormalization (inference): y = (x - mean) / sqrt(var + epsilon) * scale + B
// over channel axis 1, for X of any rank >= 2.

#include <cmath>

#include "kiln/kernels/reference/elementwise_common.h"
#include "kiln/kernels/reference/families.h"
#include "kiln/kernels/reference/normalization_attributes.h"
#include "kiln/kernels/reference/spatial_attributes.h"

namespace kiln::kernels::reference {

BatchNormParams parse_batch_norm_params(const ir::Node& node) {
  const Shape& x = require_float32_input(node, 0, "X").shape();
  if (x.rank() < 2) {
    throw_user_error("{}: input X {} needs rank 2 or more (N, C, ...)", node.describe(),
                     x.to_string());
  }
  if (node.attr_int("training_mode", 0) != 0) {
    throw_user_error("{}: training_mode = 1 is not supported; kiln runs inference only",
                     node.describe());
  }
  if (node.output_count() != 1) {
    throw_user_error("{}: has {} outputs; inference BatchNormalization has only Y", node.describe(),
                     node.output_count());
  }
  BatchNormParams p;
  p.batch = x[0];
  p.channels = x[1];
  for (std::size_t i = 2; i < x.rank(); ++i) p.plane *= x[i];
  p.epsilon = node.attr_float("epsilon", 1e-5f);
  static constexpr const char* kNames[] = {"X", "scale", "B", "input_mean", "input_var"};
  for (std::size_t i = 1; i < 5; ++i) {
    const Shape& s = require_float32_input(node, i, kNames[i]).shape();
    if (s != Shape{p.channels}) {
      throw_user_error("{}: {} has shape {}, expected [{}] (one per channel of X {})",
                       node.describe(), kNames[i], s.to_string(), p.channels, x.to_string());
    }
  }
  return p;
}

namespace {

class BatchNormKernel final : public Kernel {
 public:
  BatchNormKernel(BatchNormParams params, int threads) : p_(params), threads_(threads) {}

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const float* src = inputs[0].data<float>();
    const float* scale = inputs[1].data<float>();
    const float* shift = inputs[2].data<float>();
    const float* mean = inputs[3].data<float>();
    const float* var = inputs[4].data<float>();
    float* dst = outputs[0].data<float>();
    const std::int64_t planes = p_.batch * p_.channels;
    const std::int64_t plane = p_.plane;
#pragma omp parallel for schedule(static) num_threads(threads_) if (planes * plane > 32768)
    for (std::int64_t i = 0; i < planes; ++i) {
      const std::int64_t c = i % p_.channels;
      const float inv_std = 1.f / std::sqrt(var[c] + p_.epsilon);
      const float a = scale[c] * inv_std;
      const float b = shift[c] - mean[c] * a;
      const float* in = src + i * plane;
      float* out = dst + i * plane;
      for (std::int64_t j = 0; j < plane; ++j) out[j] = in[j] * a + b;
    }
  }

  std::string implementation() const override {
    return "reference";
  }

 private:
  BatchNormParams p_;
  int threads_;
};

std::vector<ValueType> infer_batch_norm(const ir::Node& node) {
  parse_batch_norm_params(node);
  return {{DType::kFloat32, node.input(0)->shape()}};
}

std::unique_ptr<Kernel> make_batch_norm(const ir::Node& node, const KernelOptions& options,
                                        std::string&) {
  return std::make_unique<BatchNormKernel>(parse_batch_norm_params(node), kernel_threads(options));
}

}  // namespace

void define_normalization_ops(OpDefinitionTable& table) {
  table[static_cast<std::size_t>(ir::OpKind::kBatchNormalization)] = {infer_batch_norm,
                                                                      make_batch_norm};
}

}  // namespace kiln::kernels::reference
