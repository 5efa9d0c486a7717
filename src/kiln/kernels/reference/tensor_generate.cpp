// ConstantOfShape Range Shape Size: ops whose output is computed from shapes and constants.

#include <cmath>
#include <cstring>
#include <memory>

#include "kiln/kernels/reference/tensor_copy.h"
#include "kiln/kernels/reference/tensor_ops.h"

namespace kiln::kernels::reference {

namespace {

// ---- ConstantOfShape ----

struct ConstantOfShapeParams {
  Shape shape;
  Tensor value;  // one element; its dtype is the output's
};

ConstantOfShapeParams parse_constant_of_shape(const ir::Node& node) {
  require_output_count(node, 1);
  ConstantOfShapeParams params;
  const std::vector<std::int64_t> dims = constant_ints(node, 0, "shape");
  for (std::int64_t d : dims) {
    if (d < 0) {
      throw_user_error("{}: shape [{}] has a negative dimension", node.describe(),
                       fmt::join(dims, ","));
    }
  }
  params.shape = Shape(dims);
  if (node.has_attribute("value")) {
    params.value = node.attr_tensor("value");
    if (params.value.numel() != 1) {
      throw_user_error("{}: attribute value must hold exactly one element, got {}", node.describe(),
                       params.value.description());
    }
  } else {
    params.value = Tensor(DType::kFloat32, Shape{1});
  }
  return params;
}

std::vector<ValueType> infer_constant_of_shape(const ir::Node& node) {
  ConstantOfShapeParams params = parse_constant_of_shape(node);
  return {ValueType{params.value.dtype(), params.shape}};
}

class ConstantOfShapeKernel final : public ReferenceKernel {
 public:
  explicit ConstantOfShapeKernel(Tensor value) : value_(std::move(value)) {}
  void run(std::span<const Tensor>, std::span<Tensor> outputs) override {
    fill_elements(outputs[0].raw(), value_.raw(), dtype_size(value_.dtype()), outputs[0].numel());
  }

 private:
  Tensor value_;
};

std::unique_ptr<Kernel> create_constant_of_shape(const ir::Node& node, const KernelOptions&,
                                                 std::string&) {
  return std::make_unique<ConstantOfShapeKernel>(parse_constant_of_shape(node).value);
}

// ---- Range ----

struct RangeParams {
  DType dtype = DType::kUndefined;
  double start = 0;  // exact for int32; int64 uses the integer fields
  double delta = 0;
  std::int64_t start_int = 0;
  std::int64_t delta_int = 0;
  std::int64_t count = 0;
};

const Tensor& range_scalar(const ir::Node& node, std::size_t index, std::string_view what) {
  const Tensor& t = require_constant_input(node, index, what);
  if (t.numel() != 1 || t.shape().rank() > 1) {
    throw_user_error("{}: input {} ({}) must be a scalar, got {}", node.describe(), index, what,
                     t.description());
  }
  return t;
}

RangeParams parse_range(const ir::Node& node) {
  require_output_count(node, 1);
  const Tensor& start = range_scalar(node, 0, "start");
  const Tensor& limit = range_scalar(node, 1, "limit");
  const Tensor& delta = range_scalar(node, 2, "delta");
  RangeParams params;
  params.dtype = start.dtype();
  if (limit.dtype() != params.dtype || delta.dtype() != params.dtype) {
    throw_user_error("{}: start, limit and delta must have one dtype, got {}, {} and {}",
                     node.describe(), dtype_name(start.dtype()), dtype_name(limit.dtype()),
                     dtype_name(delta.dtype()));
  }
  switch (params.dtype) {
    case DType::kFloat32: {
      params.start = *start.data<float>();
      params.delta = *delta.data<float>();
      // The difference in float32, as onnxruntime computes it, then the quotient in double.
      const double span = static_cast<double>(*limit.data<float>() - *start.data<float>());
      if (params.delta == 0) throw_user_error("{}: delta is 0", node.describe());
      const double count = std::ceil(span / params.delta);
      if (!(count < 1e15)) {  // also catches NaN and infinity
        throw_user_error("{}: start {}, limit {}, delta {} give no finite element count",
                         node.describe(), params.start, *limit.data<float>(), params.delta);
      }
      params.count = std::max<std::int64_t>(0, static_cast<std::int64_t>(count));
      break;
    }
    case DType::kInt64:
    case DType::kInt32: {
      params.start_int = start.to_int64_vector()[0];
      params.delta_int = delta.to_int64_vector()[0];
      const __int128 span = static_cast<__int128>(limit.to_int64_vector()[0]) - params.start_int;
      if (params.delta_int == 0) throw_user_error("{}: delta is 0", node.describe());
      const __int128 step = params.delta_int;
      // ceil(span / step) for either sign, in exact integer arithmetic.
      __int128 count = span / step;
      if (count * step != span && ((span > 0) == (step > 0))) ++count;
      params.count = static_cast<std::int64_t>(std::max<__int128>(0, count));
      break;
    }
    default:
      throw_user_error("{}: dtype {} is not supported (float32, int64 or int32)", node.describe(),
                       dtype_name(params.dtype));
  }
  return params;
}

std::vector<ValueType> infer_range(const ir::Node& node) {
  const RangeParams params = parse_range(node);
  return {ValueType{params.dtype, Shape{params.count}}};
}

class RangeKernel final : public ReferenceKernel {
 public:
  explicit RangeKernel(RangeParams params) : params_(params) {}
  void run(std::span<const Tensor>, std::span<Tensor> outputs) override {
    Tensor& out = outputs[0];
    const std::int64_t n = out.numel();
    switch (params_.dtype) {
      case DType::kFloat32: {
        // start + i * delta, as ONNX defines it (no running sum, so no drift).
        float* dst = out.data<float>();
        const float start = static_cast<float>(params_.start);
        const float delta = static_cast<float>(params_.delta);
        for (std::int64_t i = 0; i < n; ++i) dst[i] = start + static_cast<float>(i) * delta;
        break;
      }
      case DType::kInt64: {
        std::int64_t* dst = out.data<std::int64_t>();
        for (std::int64_t i = 0; i < n; ++i) dst[i] = params_.start_int + i * params_.delta_int;
        break;
      }
      case DType::kInt32: {
        std::int32_t* dst = out.data<std::int32_t>();
        for (std::int64_t i = 0; i < n; ++i) {
          dst[i] = static_cast<std::int32_t>(params_.start_int + i * params_.delta_int);
        }
        break;
      }
      default:
        throw_internal_error("Range kernel for {}", dtype_name(params_.dtype));
    }
  }

 private:
  RangeParams params_;
};

std::unique_ptr<Kernel> create_range(const ir::Node& node, const KernelOptions&, std::string&) {
  return std::make_unique<RangeKernel>(parse_range(node));
}

// ---- Shape, Size ----

/// Writes a list of int64 values fixed when the kernel was made.
class Int64ConstantKernel final : public ReferenceKernel {
 public:
  explicit Int64ConstantKernel(std::vector<std::int64_t> values) : values_(std::move(values)) {}
  void run(std::span<const Tensor>, std::span<Tensor> outputs) override {
    KILN_CHECK(outputs[0].numel() == static_cast<std::int64_t>(values_.size()),
               "output {} for {} values", outputs[0].description(), values_.size());
    std::copy(values_.begin(), values_.end(), outputs[0].data<std::int64_t>());
  }

 private:
  std::vector<std::int64_t> values_;
};

std::vector<std::int64_t> shape_values(const ir::Node& node) {
  require_output_count(node, 1);
  const std::vector<std::int64_t>& dims = require_input(node, 0, "data").shape().dims();
  const std::int64_t rank = static_cast<std::int64_t>(dims.size());
  // Opset 15: negative start/end count from the end, then both clamp to [0, rank].
  auto clamp_index = [rank](std::int64_t i) {
    if (i < 0) i += rank;
    return std::clamp<std::int64_t>(i, 0, rank);
  };
  const std::int64_t start = clamp_index(node.attr_int("start", 0));
  const std::int64_t end = clamp_index(node.attr_int("end", rank));
  if (start >= end) return {};
  return {dims.begin() + start, dims.begin() + end};
}

std::vector<ValueType> infer_shape(const ir::Node& node) {
  const std::vector<std::int64_t> values = shape_values(node);
  return {ValueType{DType::kInt64, Shape{static_cast<std::int64_t>(values.size())}}};
}

std::unique_ptr<Kernel> create_shape(const ir::Node& node, const KernelOptions&, std::string&) {
  return std::make_unique<Int64ConstantKernel>(shape_values(node));
}

std::vector<ValueType> infer_size(const ir::Node& node) {
  require_output_count(node, 1);
  require_input(node, 0, "data");
  return {ValueType{DType::kInt64, Shape{}}};
}

std::unique_ptr<Kernel> create_size(const ir::Node& node, const KernelOptions&, std::string&) {
  return std::make_unique<Int64ConstantKernel>(
      std::vector<std::int64_t>{require_input(node, 0, "data").shape().numel()});
}

}  // namespace

void define_generate_ops(OpDefinitionTable& table) {
  using ir::OpKind;
  table[static_cast<std::size_t>(OpKind::kConstantOfShape)] = {&infer_constant_of_shape,
                                                               &create_constant_of_shape};
  table[static_cast<std::size_t>(OpKind::kRange)] = {&infer_range, &create_range};
  table[static_cast<std::size_t>(OpKind::kShape)] = {&infer_shape, &create_shape};
  table[static_cast<std::size_t>(OpKind::kSize)] = {&infer_size, &create_size};
}

}  // namespace kiln::kernels::reference
