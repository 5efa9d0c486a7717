// Broadcasting ops of two or more inputs: arithmetic, comparisons, logic, the variadic
// Max/Min/Mean/Sum, PRelu, Pow and Where.

#include <algorithm>
#include <cmath>
#include <limits>

#include "kiln/ir/post_ops.h"
#include "kiln/kernels/reference/elementwise_ops.h"

namespace kiln::kernels::reference {

namespace {

using ir::OpKind;

// ---- Op functors. Integer arithmetic wraps around (two's complement, as in numpy) instead of
// overflowing, which C++ leaves undefined for signed types. ----

template <typename T>
using Unsigned = std::make_unsigned_t<T>;

struct AddOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(static_cast<Unsigned<T>>(a) + static_cast<Unsigned<T>>(b));
    } else {
      return a + b;
    }
  }
};
struct SubOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(static_cast<Unsigned<T>>(a) - static_cast<Unsigned<T>>(b));
    } else {
      return a - b;
    }
  }
};
struct MulOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(static_cast<Unsigned<T>>(a) * static_cast<Unsigned<T>>(b));
    } else {
      return a * b;
    }
  }
};
struct DivOp {
  // The kernel rejects integer division by zero before calling this.
  static constexpr bool kDividesIntegers = true;
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      return b == -1 ? wrapping_negate(a) : a / b;  // C division truncates toward zero
    } else {
      return a / b;
    }
  }
};
struct PowOp {
  static constexpr std::int64_t kCost = 16;
  template <typename E>
  float operator()(float base, E exponent) const {
    return std::pow(base, static_cast<float>(exponent));
  }
};
// x^2, the variance in every exported LayerNorm: a multiply instead of a pow call. The product
// is the correctly rounded square (glibc's powf is within 1 ulp of it).
struct SquareOp {
  static constexpr std::int64_t kCost = 1;
  template <typename E>
  float operator()(float base, E) const {
    return base * base;
  }
};
struct PReluOp {
  float operator()(float x, float slope) const { return x < 0.f ? slope * x : x; }
};
// Max and Min propagate NaN from either side, as numpy's maximum/minimum do.
struct MaxOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return (a > b || std::isnan(a)) ? a : b;
    } else {
      return a > b ? a : b;
    }
  }
};
struct MinOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return (a < b || std::isnan(a)) ? a : b;
    } else {
      return a < b ? a : b;
    }
  }
};
struct EqualOp {
  static constexpr bool kPredicate = true;
  template <typename T>
  bool operator()(T a, T b) const {
    return a == b;
  }
};
struct LessOp {
  static constexpr bool kPredicate = true;
  template <typename T>
  bool operator()(T a, T b) const {
    return a < b;
  }
};
struct LessOrEqualOp {
  static constexpr bool kPredicate = true;
  template <typename T>
  bool operator()(T a, T b) const {
    return a <= b;
  }
};
struct GreaterOp {
  static constexpr bool kPredicate = true;
  template <typename T>
  bool operator()(T a, T b) const {
    return a > b;
  }
};
struct GreaterOrEqualOp {
  static constexpr bool kPredicate = true;
  template <typename T>
  bool operator()(T a, T b) const {
    return a >= b;
  }
};
struct AndOp {
  bool operator()(bool a, bool b) const { return a && b; }
};
struct OrOp {
  bool operator()(bool a, bool b) const { return a || b; }
};

template <typename Op>
constexpr bool is_predicate() {
  if constexpr (requires { Op::kPredicate; }) {
    return Op::kPredicate;
  } else {
    return false;
  }
}
template <typename Op>
constexpr bool divides_integers() {
  if constexpr (requires { Op::kDividesIntegers; }) {
    return Op::kDividesIntegers;
  } else {
    return false;
  }
}

/// Output element type of Op on inputs of type T.
template <typename Op, typename T>
using BinaryResult = std::conditional_t<is_predicate<Op>(), bool, T>;

// One run of a broadcast binary op: each side advances by 1 or 0 (broadcast) per element. The
// four cases are separate loops so each vectorises; `dst` may alias `a` (an accumulator).
template <typename A, typename B, typename Out, typename Op>
inline void binary_run(const A* a, std::int64_t a_step, const B* b, std::int64_t b_step, Out* dst,
                       std::int64_t count, const Op& op) {
  if (a_step == 1 && b_step == 1) {
    for (std::int64_t i = 0; i < count; ++i) dst[i] = op(a[i], b[i]);
  } else if (a_step == 1) {
    const B b0 = *b;
    for (std::int64_t i = 0; i < count; ++i) dst[i] = op(a[i], b0);
  } else if (b_step == 1) {
    const A a0 = *a;
    for (std::int64_t i = 0; i < count; ++i) dst[i] = op(a0, b[i]);
  } else {
    std::fill_n(dst, count, static_cast<Out>(op(*a, *b)));
  }
}

std::vector<Shape> input_shapes(const ir::Node& node) {
  std::vector<Shape> shapes;
  for (const ir::Value* value : node.inputs()) shapes.push_back(value->shape());
  return shapes;
}

// ---- Two-input kernel. ----

template <typename A, typename B, typename Out, typename Op>
class BinaryKernel final : public Kernel {
 public:
  BinaryKernel(const ir::Node& node, Op op, int threads)
      : plan_(node.output(0)->shape(), input_shapes(node)),
        op_(op),
        threads_(threads),
        node_description_(node.describe()) {}

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    if constexpr (divides_integers<Op>() && std::is_integral_v<B>) {
      const std::span<const B> divisors = inputs[1].span<B>();
      if (std::find(divisors.begin(), divisors.end(), B{0}) != divisors.end()) {
        throw_user_error("{}: integer division by zero", node_description_);
      }
    }
    const A* a = inputs[0].data<A>();
    const B* b = inputs[1].data<B>();
    Out* dst = outputs[0].data<Out>();
    const std::int64_t a_step = plan_.row_stride(0);
    const std::int64_t b_step = plan_.row_stride(1);
    parallel_for_each_run(plan_, threads_,
                          [&](std::int64_t out, const std::int64_t* in, std::int64_t count) {
                            binary_run(a + in[0], a_step, b + in[1], b_step, dst + out, count, op_);
                          });
  }
  std::string implementation() const override { return "reference"; }

 private:
  BroadcastPlan plan_;
  Op op_;
  int threads_;
  std::string node_description_;
};

// ---- Variadic kernel: folds the inputs pairwise into the output. ----

template <typename T, typename Op, bool kMean>
class VariadicKernel final : public Kernel {
 public:
  VariadicKernel(const ir::Node& node, int threads) : threads_(threads) {
    const Shape& out = node.output(0)->shape();
    const std::vector<Shape> shapes = input_shapes(node);
    if (shapes.size() == 1) {
      plans_.emplace_back(out, std::span(shapes.data(), 1));
      return;
    }
    plans_.emplace_back(out, std::span(shapes.data(), 2));
    for (std::size_t i = 2; i < shapes.size(); ++i) {
      const Shape pair[] = {out, shapes[i]};
      plans_.emplace_back(out, pair);
    }
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    T* dst = outputs[0].data<T>();
    const Op op{};
    if (inputs.size() == 1) {
      outputs[0].copy_from(inputs[0]);
    } else {
      const T* a = inputs[0].data<T>();
      const T* b = inputs[1].data<T>();
      const BroadcastPlan& plan = plans_[0];
      parallel_for_each_run(plan, threads_,
                            [&](std::int64_t out, const std::int64_t* in, std::int64_t count) {
                              binary_run(a + in[0], plan.row_stride(0), b + in[1],
                                         plan.row_stride(1), dst + out, count, op);
                            });
    }
    for (std::size_t i = 2; i < inputs.size(); ++i) {
      const T* b = inputs[i].data<T>();
      const BroadcastPlan& plan = plans_[i - 1];
      parallel_for_each_run(
          plan, threads_, [&](std::int64_t out, const std::int64_t* in, std::int64_t count) {
            binary_run(dst + out, 1, b + in[1], plan.row_stride(1), dst + out, count, op);
          });
    }
    if constexpr (kMean) {
      const T count = static_cast<T>(inputs.size());
      parallel_for_chunks(outputs[0].numel(), threads_, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) dst[i] /= count;
      });
    }
  }
  std::string implementation() const override { return "reference"; }

 private:
  std::vector<BroadcastPlan> plans_;
  int threads_;
};

// ---- Where: a three-input select, moving elements as words of their size. ----

template <typename Word>
class WhereKernel final : public Kernel {
 public:
  WhereKernel(const ir::Node& node, int threads)
      : plan_(node.output(0)->shape(), input_shapes(node)), threads_(threads) {}

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const bool* condition = inputs[0].data<bool>();
    const Word* x = static_cast<const Word*>(inputs[1].raw());
    const Word* y = static_cast<const Word*>(inputs[2].raw());
    Word* dst = static_cast<Word*>(outputs[0].raw());
    const std::int64_t c_step = plan_.row_stride(0);
    const std::int64_t x_step = plan_.row_stride(1);
    const std::int64_t y_step = plan_.row_stride(2);
    parallel_for_each_run(plan_, threads_,
                          [&](std::int64_t out, const std::int64_t* in, std::int64_t count) {
                            const bool* c = condition + in[0];
                            const Word* xs = x + in[1];
                            const Word* ys = y + in[2];
                            for (std::int64_t i = 0; i < count; ++i) {
                              dst[out + i] = c[i * c_step] ? xs[i * x_step] : ys[i * y_step];
                            }
                          });
  }
  std::string implementation() const override { return "reference"; }

 private:
  BroadcastPlan plan_;
  int threads_;
};

// ---- Inference. ----

// Input `index` must have the dtype of input 0.
void require_same_dtype(const ir::Node& node, std::size_t index) {
  const ir::Value& first = require_input(node, 0, "operand");
  const ir::Value& other = require_input(node, index, "operand");
  if (other.dtype() != first.dtype()) {
    throw_user_error("{}: input {} ('{}') is {} but input 0 ('{}') is {}; {} needs equal dtypes",
                     node.describe(), index, other.name(), dtype_name(other.dtype()), first.name(),
                     dtype_name(first.dtype()), node.op_name());
  }
}

template <typename Op, typename... Ts>
std::vector<ValueType> infer_binary(const ir::Node& node) {
  // A fused binary (post-ops) has its post-ops' operands after its own two inputs.
  if (!ir::has_post_ops(node)) require_input_count(node, 2, 2);
  const DType dtype = require_input_dtype(node, 0, "A", {dtype_of<Ts>()...}).dtype();
  require_same_dtype(node, 1);
  const DType out = is_predicate<Op>() ? DType::kBool : dtype;
  return {ValueType{out, broadcast_input_shapes(node, 0, 2)}};
}

template <typename Op, typename... Ts>
std::unique_ptr<Kernel> create_binary(const ir::Node& node, const KernelOptions& options,
                                      std::string& why_not) {
  const DType dtype = require_input_dtype(node, 0, "A", {dtype_of<Ts>()...}).dtype();
  const int threads = kernel_threads(options);
  std::unique_ptr<Kernel> kernel;
  ((dtype == dtype_of<Ts>() &&
    (kernel =
         std::make_unique<BinaryKernel<Ts, Ts, BinaryResult<Op, Ts>, Op>>(node, Op{}, threads))) ||
   ...);
  return kernel;
}

template <typename Op, typename... Ts>
void define_binary(OpDefinitionTable& table, OpKind op) {
  definition_of(table, op) = {&infer_binary<Op, Ts...>, &create_binary<Op, Ts...>};
}

template <typename... Ts>
std::vector<ValueType> infer_variadic(const ir::Node& node) {
  if (node.input_count() == 0) {
    throw_user_error("{}: needs at least one input", node.describe());
  }
  const DType dtype = require_input_dtype(node, 0, "data_0", {dtype_of<Ts>()...}).dtype();
  for (std::size_t i = 1; i < node.input_count(); ++i) require_same_dtype(node, i);
  return {ValueType{dtype, broadcast_input_shapes(node, 0, node.input_count())}};
}

template <typename Op, bool kMean, typename... Ts>
std::unique_ptr<Kernel> create_variadic(const ir::Node& node, const KernelOptions& options,
                                        std::string& why_not) {
  const DType dtype = require_input_dtype(node, 0, "data_0", {dtype_of<Ts>()...}).dtype();
  const int threads = kernel_threads(options);
  std::unique_ptr<Kernel> kernel;
  ((dtype == dtype_of<Ts>() &&
    (kernel = std::make_unique<VariadicKernel<Ts, Op, kMean>>(node, threads))) ||
   ...);
  return kernel;
}

template <typename Op, bool kMean, typename... Ts>
void define_variadic(OpDefinitionTable& table, OpKind op) {
  definition_of(table, op) = {&infer_variadic<Ts...>, &create_variadic<Op, kMean, Ts...>};
}

constexpr std::initializer_list<DType> kPowExponentTypes = {DType::kFloat32, DType::kInt64,
                                                            DType::kInt32};

std::vector<ValueType> infer_pow(const ir::Node& node) {
  require_input_count(node, 2, 2);
  require_input_dtype(node, 0, "X", {DType::kFloat32});
  require_input_dtype(node, 1, "Y", kPowExponentTypes);
  return {ValueType{DType::kFloat32, broadcast_input_shapes(node, 0, 2)}};
}

std::unique_ptr<Kernel> create_pow(const ir::Node& node, const KernelOptions& options,
                                   std::string& why_not) {
  const int threads = kernel_threads(options);
  const ir::Value* exponent = node.input(1);
  const bool squares = exponent->is_constant() && exponent->constant().numel() == 1 &&
                       exponent->constant().to_float32().data<float>()[0] == 2.f;
  switch (require_input_dtype(node, 1, "Y", kPowExponentTypes).dtype()) {
    case DType::kFloat32:
      if (squares) {
        return std::make_unique<BinaryKernel<float, float, float, SquareOp>>(node, SquareOp{},
                                                                             threads);
      }
      return std::make_unique<BinaryKernel<float, float, float, PowOp>>(node, PowOp{}, threads);
    case DType::kInt64:
      return std::make_unique<BinaryKernel<float, std::int64_t, float, PowOp>>(node, PowOp{},
                                                                               threads);
    case DType::kInt32:
      return std::make_unique<BinaryKernel<float, std::int32_t, float, PowOp>>(node, PowOp{},
                                                                               threads);
    default:
      break;
  }
  throw_internal_error("{}: Pow exponent dtype passed the check but has no kernel",
                       node.describe());
}

std::vector<ValueType> infer_prelu(const ir::Node& node) {
  require_input_count(node, 2, 2);
  const ir::Value& x = require_input_dtype(node, 0, "X", {DType::kFloat32});
  const ir::Value& slope = require_input_dtype(node, 1, "slope", {DType::kFloat32});
  if (!broadcasts_to(slope.shape(), x.shape())) {
    throw_user_error("{}: slope shape {} does not broadcast to the input shape {}", node.describe(),
                     slope.shape().to_string(), x.shape().to_string());
  }
  return {ValueType{DType::kFloat32, x.shape()}};
}

std::unique_ptr<Kernel> create_prelu(const ir::Node& node, const KernelOptions& options,
                                     std::string& why_not) {
  return std::make_unique<BinaryKernel<float, float, float, PReluOp>>(node, PReluOp{},
                                                                      kernel_threads(options));
}

constexpr std::initializer_list<DType> kAllTypes = {
    DType::kFloat32, DType::kFloat16, DType::kFloat64, DType::kInt64,
    DType::kInt32,   DType::kInt8,    DType::kUInt8,   DType::kBool};

std::vector<ValueType> infer_where(const ir::Node& node) {
  require_input_count(node, 3, 3);
  require_input_dtype(node, 0, "condition", {DType::kBool});
  const ir::Value& x = require_input_dtype(node, 1, "X", kAllTypes);
  const ir::Value& y = require_input(node, 2, "Y");
  if (y.dtype() != x.dtype()) {
    throw_user_error("{}: input 2 (Y, '{}') is {} but input 1 (X, '{}') is {}; they must match",
                     node.describe(), y.name(), dtype_name(y.dtype()), x.name(),
                     dtype_name(x.dtype()));
  }
  return {ValueType{x.dtype(), broadcast_input_shapes(node, 0, 3)}};
}

std::unique_ptr<Kernel> create_where(const ir::Node& node, const KernelOptions& options,
                                     std::string& why_not) {
  const int threads = kernel_threads(options);
  switch (dtype_size(require_input_dtype(node, 1, "X", kAllTypes).dtype())) {
    case 1:
      return std::make_unique<WhereKernel<std::uint8_t>>(node, threads);
    case 2:
      return std::make_unique<WhereKernel<std::uint16_t>>(node, threads);
    case 4:
      return std::make_unique<WhereKernel<std::uint32_t>>(node, threads);
    case 8:
      return std::make_unique<WhereKernel<std::uint64_t>>(node, threads);
    default:
      break;
  }
  throw_internal_error("{}: no element word for Where's dtype", node.describe());
}

}  // namespace

void define_binary_ops(OpDefinitionTable& table) {
  using I64 = std::int64_t;
  using I32 = std::int32_t;
  define_binary<AddOp, float, I64, I32>(table, OpKind::kAdd);
  define_binary<SubOp, float, I64, I32>(table, OpKind::kSub);
  define_binary<MulOp, float, I64, I32>(table, OpKind::kMul);
  define_binary<DivOp, float, I64, I32>(table, OpKind::kDiv);
  define_binary<EqualOp, float, I64, I32, bool>(table, OpKind::kEqual);
  define_binary<LessOp, float, I64, I32>(table, OpKind::kLess);
  define_binary<LessOrEqualOp, float, I64, I32>(table, OpKind::kLessOrEqual);
  define_binary<GreaterOp, float, I64, I32>(table, OpKind::kGreater);
  define_binary<GreaterOrEqualOp, float, I64, I32>(table, OpKind::kGreaterOrEqual);
  define_binary<AndOp, bool>(table, OpKind::kAnd);
  define_binary<OrOp, bool>(table, OpKind::kOr);
  define_variadic<MaxOp, false, float, I64, I32>(table, OpKind::kMax);
  define_variadic<MinOp, false, float, I64, I32>(table, OpKind::kMin);
  define_variadic<AddOp, false, float, I64, I32>(table, OpKind::kSum);
  define_variadic<AddOp, true, float>(table, OpKind::kMean);
  definition_of(table, OpKind::kPow) = {&infer_pow, &create_pow};
  definition_of(table, OpKind::kPRelu) = {&infer_prelu, &create_prelu};
  definition_of(table, OpKind::kWhere) = {&infer_where, &create_where};
}

}  // namespace kiln::kernels::reference
