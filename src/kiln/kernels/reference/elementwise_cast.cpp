// Cast between every pair of kiln dtypes.

#include <cmath>
#include <limits>

#include "kiln/kernels/reference/elementwise_ops.h"

namespace kiln::kernels::reference {

namespace {

// Floating to integer: truncation toward zero, as C and ONNX Runtime do. C++ leaves NaN and
// out-of-range values undefined; kiln defines them: NaN -> 0, and values beyond the type's range
// saturate to its min or max.
template <typename D, typename F>
D float_to_integer(F x) {
  if (std::isnan(x)) return D{0};
  constexpr D kMin = std::numeric_limits<D>::min();
  constexpr D kMax = std::numeric_limits<D>::max();
  // Powers of two are exact in F, so these bounds are exact too.
  if (!(x > static_cast<F>(kMin) - F{1})) return kMin;
  if (x >= std::ldexp(F{1}, std::numeric_limits<D>::digits)) return kMax;
  return static_cast<D>(x);
}

// Any non-half element as a float (bool as 0/1).
template <typename S>
float to_float(S x) {
  if constexpr (std::is_same_v<S, Half>) {
    return half_to_float(x.bits);
  } else {
    return static_cast<float>(x);
  }
}

template <typename S, typename D>
struct ConvertOp {
  D operator()(S x) const {
    if constexpr (std::is_same_v<S, D>) {
      return x;
    } else if constexpr (std::is_same_v<S, Half>) {
      return ConvertOp<float, D>{}(half_to_float(x.bits));
    } else if constexpr (std::is_same_v<D, Half>) {
      return Half{float_to_half(to_float(x))};
    } else if constexpr (std::is_same_v<D, bool>) {
      return x != S{0};  // NaN is true, as in numpy
    } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) {
      return float_to_integer<D>(x);
    } else {
      // Integer to integer wraps (two's complement); the rest are value conversions.
      return static_cast<D>(x);
    }
  }
};

DType cast_target(const ir::Node& node) {
  const std::string to = node.attr_string("to");
  try {
    return parse_dtype(to);
  } catch (const Error& e) {
    throw_user_error("{}: attribute to: {}", node.describe(), e.message());
  }
}

std::vector<ValueType> infer_cast(const ir::Node& node) {
  require_input_count(node, 1, 1);
  const ir::Value& x = require_input(node, 0, "input");
  return {ValueType{cast_target(node), x.shape()}};
}

std::unique_ptr<Kernel> create_cast(const ir::Node& node, const KernelOptions& options,
                                    std::string& why_not) {
  const DType from = require_input(node, 0, "input").dtype();
  const DType to = cast_target(node);
  const int threads = kernel_threads(options);
  return visit_dtype(from, [&]<typename S>() -> std::unique_ptr<Kernel> {
    return visit_dtype(to, [&]<typename D>() -> std::unique_ptr<Kernel> {
      return std::make_unique<UnaryKernel<S, D, ConvertOp<S, D>>>(ConvertOp<S, D>{}, threads);
    });
  });
}

}  // namespace

void define_cast_op(OpDefinitionTable& table) {
  definition_of(table, ir::OpKind::kCast) = {&infer_cast, &create_cast};
}

}  // namespace kiln::kernels::reference
