// ArgMax and TopK: ops that answer with positions along one axis.

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <type_traits>

#include "kiln/kernels/reference/reduction_ops.h"

namespace kiln::kernels::reference {

namespace {

using ir::OpKind;

// NaN counts as the largest value (as numpy's sort and argmax treat it), so an order exists.
template <typename T>
bool greater_nan_largest(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
  }
  return a > b;
}

// ---- ArgMax ----

struct ArgMaxAttributes {
  std::int64_t axis;
  bool keepdims;
  bool select_last_index;
};

ArgMaxAttributes parse_argmax(const ir::Node& node) {
  const ir::Value& data =
      require_input_dtype(node, 0, "data", {DType::kFloat32, DType::kInt64, DType::kInt32});
  const Shape& shape = data.shape();
  ArgMaxAttributes attributes{
      axis_attribute(node, "axis", 0, static_cast<std::int64_t>(shape.rank())),
      flag_attribute(node, "keepdims", true), flag_attribute(node, "select_last_index", false)};
  if (shape[attributes.axis] == 0) {
    throw_user_error("{}: axis {} of input shape {} is empty; there is no largest element",
                     node.describe(), attributes.axis, shape.to_string());
  }
  return attributes;
}

std::vector<ValueType> infer_argmax(const ir::Node& node) {
  require_input_count(node, 1, 1);
  const ArgMaxAttributes attributes = parse_argmax(node);
  std::vector<std::int64_t> dims = node.input(0)->shape().dims();
  if (attributes.keepdims) {
    dims[attributes.axis] = 1;
  } else {
    dims.erase(dims.begin() + attributes.axis);
  }
  return {ValueType{DType::kInt64, Shape(std::move(dims))}};
}

template <typename T>
class ArgMaxKernel final : public Kernel {
 public:
  ArgMaxKernel(const ir::Node& node, int threads) : threads_(threads) {
    const ArgMaxAttributes attributes = parse_argmax(node);
    split_ = split_at_axis(node.input(0)->shape(), attributes.axis);
    select_last_index_ = attributes.select_last_index;
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const T* src = inputs[0].data<T>();
    std::int64_t* dst = outputs[0].data<std::int64_t>();
    const AxisSplit split = split_;
    const bool last = select_last_index_;
    parallel_for_chunks(
        split.outer * split.inner, threads_,
        [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t s = begin; s < end; ++s) {
            const std::int64_t o = s / split.inner;
            const std::int64_t j = s % split.inner;
            const T* base = src + o * split.length * split.inner + j;
            std::int64_t best_index = 0;
            T best = base[0];
            for (std::int64_t i = 1; i < split.length; ++i) {
              const T v = base[i * split.inner];
              // A tie moves the answer only when the last index is wanted.
              if (greater_nan_largest(v, best) || (last && !greater_nan_largest(best, v))) {
                best = v;
                best_index = i;
              }
            }
            dst[s] = best_index;
          }
        },
        std::max<std::int64_t>(1, kChunkElements / split.length), split.length);
  }
  std::string implementation() const override { return "reference"; }

 private:
  AxisSplit split_;
  bool select_last_index_ = false;
  int threads_;
};

std::unique_ptr<Kernel> create_argmax(const ir::Node& node, const KernelOptions& options,
                                      std::string& why_not) {
  const int threads = kernel_threads(options);
  switch (node.input(0)->dtype()) {
    case DType::kFloat32:
      return std::make_unique<ArgMaxKernel<float>>(node, threads);
    case DType::kInt64:
      return std::make_unique<ArgMaxKernel<std::int64_t>>(node, threads);
    case DType::kInt32:
      return std::make_unique<ArgMaxKernel<std::int32_t>>(node, threads);
    default:
      break;
  }
  parse_argmax(node);  // names the unsupported dtype
  throw_internal_error("{}: ArgMax dtype passed the check but has no kernel", node.describe());
}

// ---- TopK ----

struct TopKAttributes {
  std::int64_t axis;
  std::int64_t k;
  bool largest;
};

TopKAttributes parse_topk(const ir::Node& node) {
  require_input_count(node, 2, 2);
  if (node.output_count() < 1 || node.output_count() > 2) {
    throw_user_error("{}: has {} outputs; TopK has values and indices", node.describe(),
                     node.output_count());
  }
  const ir::Value& data =
      require_input_dtype(node, 0, "X", {DType::kFloat32, DType::kInt64, DType::kInt32});
  const Shape& shape = data.shape();
  const std::int64_t axis =
      axis_attribute(node, "axis", -1, static_cast<std::int64_t>(shape.rank()));
  const Tensor& k_tensor = require_constant_input(node, 1, "K");
  if (k_tensor.dtype() != DType::kInt64 && k_tensor.dtype() != DType::kInt32) {
    throw_user_error("{}: input 1 (K) is {}; expected int64", node.describe(),
                     dtype_name(k_tensor.dtype()));
  }
  if (k_tensor.numel() != 1) {
    throw_user_error("{}: input 1 (K) must hold one value, its shape is {}", node.describe(),
                     k_tensor.shape().to_string());
  }
  const std::int64_t k = k_tensor.to_int64_vector()[0];
  if (k < 0 || k > shape[axis]) {
    throw_user_error("{}: k = {} is out of range for axis {} of size {} (input shape {})",
                     node.describe(), k, axis, shape[axis], shape.to_string());
  }
  flag_attribute(node, "sorted", true);  // the output is always sorted, which sorted=0 allows
  return TopKAttributes{axis, k, flag_attribute(node, "largest", true)};
}

std::vector<ValueType> infer_topk(const ir::Node& node) {
  const TopKAttributes attributes = parse_topk(node);
  Shape shape = node.input(0)->shape();
  shape[attributes.axis] = attributes.k;
  std::vector<ValueType> types{ValueType{node.input(0)->dtype(), shape}};
  if (node.output_count() == 2) types.push_back(ValueType{DType::kInt64, shape});
  return types;
}

template <typename T>
class TopKKernel final : public Kernel {
 public:
  TopKKernel(const ir::Node& node, int threads) : threads_(threads) {
    const TopKAttributes attributes = parse_topk(node);
    split_ = split_at_axis(node.input(0)->shape(), attributes.axis);
    k_ = attributes.k;
    largest_ = attributes.largest;
    // One index buffer per thread, so run() allocates nothing.
    order_.resize(static_cast<std::size_t>(threads_ * split_.length));
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const T* src = inputs[0].data<T>();
    T* values = outputs[0].data<T>();
    std::int64_t* indices = outputs.size() > 1 ? outputs[1].data<std::int64_t>() : nullptr;
    const AxisSplit split = split_;
    const std::int64_t k = k_;
    const bool largest = largest_;
    if (k == 0) return;
    parallel_for_chunks(
        split.outer * split.inner, threads_,
        [&](std::int64_t begin, std::int64_t end) {
          std::int64_t* order = order_.data() + omp_get_thread_num() * split.length;
          for (std::int64_t s = begin; s < end; ++s) {
            const std::int64_t o = s / split.inner;
            const std::int64_t j = s % split.inner;
            const T* base = src + o * split.length * split.inner + j;
            std::iota(order, order + split.length, std::int64_t{0});
            // Strict order: by value (largest or smallest first), ties to the lower index.
            auto before = [&](std::int64_t a, std::int64_t b) {
              const T va = base[a * split.inner];
              const T vb = base[b * split.inner];
              if (largest ? greater_nan_largest(va, vb) : greater_nan_largest(vb, va)) return true;
              if (largest ? greater_nan_largest(vb, va) : greater_nan_largest(va, vb)) return false;
              return a < b;
            };
            std::partial_sort(order, order + k, order + split.length, before);
            const std::int64_t out_base = o * k * split.inner + j;
            for (std::int64_t r = 0; r < k; ++r) {
              values[out_base + r * split.inner] = base[order[r] * split.inner];
              if (indices != nullptr) indices[out_base + r * split.inner] = order[r];
            }
          }
        },
        std::max<std::int64_t>(1, kChunkElements / std::max<std::int64_t>(1, split.length)),
        split.length * 8);
  }
  std::string implementation() const override { return "reference"; }

 private:
  AxisSplit split_;
  std::int64_t k_ = 0;
  bool largest_ = true;
  int threads_;
  std::vector<std::int64_t> order_;
};

std::unique_ptr<Kernel> create_topk(const ir::Node& node, const KernelOptions& options,
                                    std::string& why_not) {
  const int threads = kernel_threads(options);
  switch (node.input(0)->dtype()) {
    case DType::kFloat32:
      return std::make_unique<TopKKernel<float>>(node, threads);
    case DType::kInt64:
      return std::make_unique<TopKKernel<std::int64_t>>(node, threads);
    case DType::kInt32:
      return std::make_unique<TopKKernel<std::int32_t>>(node, threads);
    default:
      break;
  }
  parse_topk(node);  // names the unsupported dtype
  throw_internal_error("{}: TopK dtype passed the check but has no kernel", node.describe());
}

}  // namespace

void define_index_ops(OpDefinitionTable& table) {
  table[static_cast<std::size_t>(OpKind::kArgMax)] = {&infer_argmax, &create_argmax};
  table[static_cast<std::size_t>(OpKind::kTopK)] = {&infer_topk, &create_topk};
}

}  // namespace kiln::kernels::reference
