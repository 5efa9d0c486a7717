// Softmax, LogSoftmax and LayerNormalization: normalisations over a reduced axis.

#include <algorithm>
#include <cmath>
#include <limits>

#include "kiln/kernels/reference/reduction_ops.h"

namespace kiln::kernels::reference {

namespace {

using ir::OpKind;

// ---- Softmax and LogSoftmax (opset 13: one axis, default -1) ----

std::int64_t softmax_axis(const ir::Node& node) {
  require_input_count(node, 1, 1);
  const ir::Value& x = require_input_dtype(node, 0, "input", {DType::kFloat32});
  return axis_attribute(node, "axis", -1, static_cast<std::int64_t>(x.shape().rank()));
}

std::vector<ValueType> infer_softmax(const ir::Node& node) {
  softmax_axis(node);
  return {ValueType{DType::kFloat32, node.input(0)->shape()}};
}

// Numerically stable: the row maximum is subtracted before exp, and the sum of exponentials
// accumulates in double.
template <bool kLog>
class SoftmaxKernel final : public Kernel {
 public:
  SoftmaxKernel(const ir::Node& node, int threads)
      : split_(split_at_axis(node.input(0)->shape(), softmax_axis(node))), threads_(threads) {}

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const float* src = inputs[0].data<float>();
    float* dst = outputs[0].data<float>();
    if (inputs[0].numel() == 0) return;
    if (split_.inner == 1) {
      run_rows(src, dst);
    } else {
      run_columns(src, dst);
    }
  }
  std::string implementation() const override { return "reference"; }

 private:
  // [outer, length]: each row is contiguous.
  void run_rows(const float* src, float* dst) const {
    const std::int64_t length = split_.length;
    parallel_for_chunks(
        split_.outer, threads_,
        [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t o = begin; o < end; ++o) {
            const float* x = src + o * length;
            float* y = dst + o * length;
            const float max = *std::max_element(x, x + length);
            double sum = 0.0;
            for (std::int64_t i = 0; i < length; ++i) {
              const float e = std::exp(x[i] - max);
              if constexpr (!kLog) y[i] = e;
              sum += e;
            }
            if constexpr (kLog) {
              const auto log_sum = static_cast<float>(std::log(sum));
              for (std::int64_t i = 0; i < length; ++i) y[i] = x[i] - max - log_sum;
            } else {
              const auto inverse_sum = static_cast<float>(1.0 / sum);
              for (std::int64_t i = 0; i < length; ++i) y[i] *= inverse_sum;
            }
          }
        },
        std::max<std::int64_t>(1, kChunkElements / std::max<std::int64_t>(1, length)), length * 8);
  }

  // [outer, length, inner]: kLanes adjacent columns at a time, reading rows contiguously.
  void run_columns(const float* src, float* dst) const {
    constexpr std::int64_t kLanes = 64;
    const std::int64_t length = split_.length;
    const std::int64_t inner = split_.inner;
    const std::int64_t lane_blocks = (inner + kLanes - 1) / kLanes;
    parallel_for_chunks(
        split_.outer * lane_blocks, threads_,
        [&](std::int64_t begin, std::int64_t end) {
          float max[kLanes];
          double sum[kLanes];
          for (std::int64_t task = begin; task < end; ++task) {
            const std::int64_t o = task / lane_blocks;
            const std::int64_t first = (task % lane_blocks) * kLanes;
            const std::int64_t lanes = std::min(kLanes, inner - first);
            const float* x = src + o * length * inner + first;
            float* y = dst + o * length * inner + first;
            std::fill_n(max, lanes, -std::numeric_limits<float>::infinity());
            std::fill_n(sum, lanes, 0.0);
            for (std::int64_t i = 0; i < length; ++i) {
              for (std::int64_t j = 0; j < lanes; ++j) {
                const float v = x[i * inner + j];
                max[j] = (v > max[j] || std::isnan(v)) ? v : max[j];
              }
            }
            for (std::int64_t i = 0; i < length; ++i) {
              for (std::int64_t j = 0; j < lanes; ++j) {
                const float e = std::exp(x[i * inner + j] - max[j]);
                if constexpr (!kLog) y[i * inner + j] = e;
                sum[j] += e;
              }
            }
            for (std::int64_t i = 0; i < length; ++i) {
              for (std::int64_t j = 0; j < lanes; ++j) {
                float& out = y[i * inner + j];
                if constexpr (kLog) {
                  out = x[i * inner + j] - max[j] - static_cast<float>(std::log(sum[j]));
                } else {
                  out = static_cast<float>(out / sum[j]);
                }
              }
            }
          }
        },
        std::max<std::int64_t>(1, kChunkElements / std::max<std::int64_t>(1, length * kLanes)),
        length * kLanes * 8);
  }

  AxisSplit split_;
  int threads_;
};

template <bool kLog>
std::unique_ptr<Kernel> create_softmax(const ir::Node& node, const KernelOptions& options,
                                       std::string& why_not) {
  return std::make_unique<SoftmaxKernel<kLog>>(node, kernel_threads(options));
}

// ---- LayerNormalization (opset 17): normalise over axes [axis, rank) ----

struct LayerNormAttributes {
  std::int64_t axis;
  float epsilon;
  Shape normalized_shape;  // the input's dimensions [axis, rank)
};

LayerNormAttributes parse_layer_norm(const ir::Node& node) {
  require_input_count(node, 2, 3);
  if (node.output_count() < 1 || node.output_count() > 3) {
    throw_user_error("{}: has {} outputs; LayerNormalization has Y, Mean and InvStdDev",
                     node.describe(), node.output_count());
  }
  const ir::Value& x = require_input_dtype(node, 0, "X", {DType::kFloat32});
  const Shape& shape = x.shape();
  const std::int64_t axis =
      axis_attribute(node, "axis", -1, static_cast<std::int64_t>(shape.rank()));
  LayerNormAttributes attributes{axis, node.attr_float("epsilon", 1e-5f),
                                 Shape(std::span(shape.dims()).subspan(axis))};
  if (!(attributes.epsilon >= 0.f)) {
    throw_user_error("{}: attribute epsilon is {}; expected a value >= 0", node.describe(),
                     attributes.epsilon);
  }
  static constexpr const char* kParameterNames[] = {"", "Scale", "B"};
  for (std::size_t i = 1; i < 3; ++i) {
    if (node.input(i) == nullptr) {
      if (i == 1) require_input(node, i, kParameterNames[i]);  // Scale is required
      continue;
    }
    const ir::Value& parameter =
        require_input_dtype(node, i, kParameterNames[i], {DType::kFloat32});
    if (!broadcasts_to(parameter.shape(), attributes.normalized_shape)) {
      throw_user_error(
          "{}: input {} ({}) has shape {}, which does not broadcast to the "
          "normalised shape {} (input {} from axis {})",
          node.describe(), i, kParameterNames[i], parameter.shape().to_string(),
          attributes.normalized_shape.to_string(), shape.to_string(), axis);
    }
  }
  return attributes;
}

std::vector<ValueType> infer_layer_norm(const ir::Node& node) {
  const LayerNormAttributes attributes = parse_layer_norm(node);
  const Shape& shape = node.input(0)->shape();
  std::vector<ValueType> types{ValueType{DType::kFloat32, shape}};
  // Mean and InvStdDev keep the leading dimensions and 1 for each normalised one.
  Shape statistics = shape;
  for (std::size_t d = static_cast<std::size_t>(attributes.axis); d < shape.rank(); ++d) {
    statistics[d] = 1;
  }
  for (std::size_t i = 1; i < node.output_count(); ++i) {
    types.push_back(ValueType{DType::kFloat32, statistics});
  }
  return types;
}

class LayerNormKernel final : public Kernel {
 public:
  LayerNormKernel(const ir::Node& node, int threads) : threads_(threads) {
    const LayerNormAttributes attributes = parse_layer_norm(node);
    epsilon_ = attributes.epsilon;
    size_ = attributes.normalized_shape.numel();
    rows_ = size_ == 0 ? 0 : node.input(0)->shape().numel() / size_;
    // Scale and B that do not already have one value per normalised element are expanded
    // into buffers taken here, at creation.
    for (std::size_t i = 0; i < 2; ++i) {
      const ir::Value* parameter = node.input(i + 1);
      if (parameter == nullptr || parameter->shape().numel() == size_) continue;
      const Shape shapes[] = {parameter->shape()};
      parameters_[i].plan = BroadcastPlan(attributes.normalized_shape, shapes);
      parameters_[i].expanded = Tensor(DType::kFloat32, attributes.normalized_shape);
    }
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const float* src = inputs[0].data<float>();
    const float* scale = parameter(0, inputs[1]);
    const float* bias = inputs.size() > 2 && !inputs[2].empty() ? parameter(1, inputs[2]) : nullptr;
    float* dst = outputs[0].data<float>();
    float* mean_out = outputs.size() > 1 ? outputs[1].data<float>() : nullptr;
    float* inv_std_out = outputs.size() > 2 ? outputs[2].data<float>() : nullptr;
    const std::int64_t size = size_;
    const double epsilon = epsilon_;
    parallel_for_chunks(
        rows_, threads_,
        [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t row = begin; row < end; ++row) {
            const float* x = src + row * size;
            float* y = dst + row * size;
            // Two passes in double: the mean, then the variance around it.
            double sum = 0.0;
            for (std::int64_t j = 0; j < size; ++j) sum += x[j];
            const double mean = sum / static_cast<double>(size);
            double squares = 0.0;
            for (std::int64_t j = 0; j < size; ++j) {
              const double centered = x[j] - mean;
              squares += centered * centered;
            }
            const double inv_std = 1.0 / std::sqrt(squares / static_cast<double>(size) + epsilon);
            for (std::int64_t j = 0; j < size; ++j) {
              const double normalized = (x[j] - mean) * inv_std;
              y[j] = static_cast<float>(normalized * scale[j] + (bias != nullptr ? bias[j] : 0.f));
            }
            if (mean_out != nullptr) mean_out[row] = static_cast<float>(mean);
            if (inv_std_out != nullptr) inv_std_out[row] = static_cast<float>(inv_std);
          }
        },
        std::max<std::int64_t>(1, kChunkElements / std::max<std::int64_t>(1, size)), size * 4);
  }
  std::string implementation() const override { return "reference"; }

 private:
  struct Parameter {
    BroadcastPlan plan;
    Tensor expanded;  // empty when the input is used as it is
  };

  // Scale (index 0) or B (1) with one value per normalised element.
  const float* parameter(std::size_t index, const Tensor& input) {
    Parameter& parameter = parameters_[index];
    if (parameter.expanded.empty()) return input.data<float>();
    const float* src = input.data<float>();
    float* dst = parameter.expanded.data<float>();
    parameter.plan.for_each_run(0, parameter.plan.numel(),
                                [&](std::int64_t out, const std::int64_t* in, std::int64_t count) {
                                  const std::int64_t step = parameter.plan.row_stride(0);
                                  for (std::int64_t k = 0; k < count; ++k)
                                    dst[out + k] = src[in[0] + k * step];
                                });
    return dst;
  }

  std::int64_t rows_ = 0;
  std::int64_t size_ = 0;
  float epsilon_ = 0.f;
  Parameter parameters_[2];
  int threads_;
};

std::unique_ptr<Kernel> create_layer_norm(const ir::Node& node, const KernelOptions& options,
                                          std::string& why_not) {
  return std::make_unique<LayerNormKernel>(node, kernel_threads(options));
}

}  // namespace

void define_softmax_ops(OpDefinitionTable& table) {
  table[static_cast<std::size_t>(OpKind::kSoftmax)] = {&infer_softmax, &create_softmax<false>};
  table[static_cast<std::size_t>(OpKind::kLogSoftmax)] = {&infer_softmax, &create_softmax<true>};
  table[static_cast<std::size_t>(OpKind::kLayerNormalization)] = {&infer_layer_norm,
                                                                  &create_layer_norm};
}

}  // namespace kiln::kernels::reference
