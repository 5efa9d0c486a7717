#include <cmath>
#include <limits>

#include "kiln/kernels/reference/elementwise_ops.h"
#include "kiln/kernels/reference/families.h"

namespace kiln::kernels::reference {

namespace {

using ir::OpKind;

// ---- Op functors. NaN propagates through every float op (as in numpy and ONNX Runtime). ----

struct AbsOp {
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::fabs(x);
    } else {
      return x < 0 ? wrapping_negate(x) : x;
    }
  }
};
struct NegOp {
  template <typename T>
  T operator()(T x) const {
    return wrapping_negate(x);
  }
};
struct SignOp {
  template <typename T>
  T operator()(T x) const {
    return x > 0 ? T{1} : (x < 0 ? T{-1} : x);  // x itself keeps 0 and NaN
  }
};
struct CeilOp {
  float operator()(float x) const { return std::ceil(x); }
};
struct FloorOp {
  float operator()(float x) const { return std::floor(x); }
};
struct RoundOp {
  // nearbyint rounds half to even in the default rounding mode, as ONNX Round specifies.
  float operator()(float x) const { return std::nearbyint(x); }
};
struct CosOp {
  static constexpr std::int64_t kCost = 16;
  float operator()(float x) const { return std::cos(x); }
};
struct SinOp {
  static constexpr std::int64_t kCost = 16;
  float operator()(float x) const { return std::sin(x); }
};
struct ErfOp {
  static constexpr std::int64_t kCost = 16;
  float operator()(float x) const { return std::erf(x); }
};
struct ExpOp {
  static constexpr std::int64_t kCost = 8;
  float operator()(float x) const { return std::exp(x); }
};
struct LogOp {
  static constexpr std::int64_t kCost = 8;
  float operator()(float x) const { return std::log(x); }
};
struct SqrtOp {
  float operator()(float x) const { return std::sqrt(x); }
};
struct ReciprocalOp {
  float operator()(float x) const { return 1.f / x; }
};
struct TanhOp {
  static constexpr std::int64_t kCost = 16;
  float operator()(float x) const { return std::tanh(x); }
};
struct ReluOp {
  float operator()(float x) const { return x < 0.f ? 0.f : x; }
};
struct SigmoidOp {
  static constexpr std::int64_t kCost = 8;
  // Split by sign so exp never overflows.
  float operator()(float x) const {
    if (x >= 0.f) return 1.f / (1.f + std::exp(-x));
    const float e = std::exp(x);
    return e / (1.f + e);
  }
};
// x * sigmoid(x) (SiLU, Swish-1), what EfficientNet writes as Sigmoid then Mul.
struct SiluOp {
  static constexpr std::int64_t kCost = 8;
  float operator()(float x) const { return x * SigmoidOp{}(x); }
};
struct SoftplusOp {
  static constexpr std::int64_t kCost = 16;
  // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), which never overflows.
  float operator()(float x) const {
    return (x > 0.f ? x : 0.f) + std::log1p(std::exp(-std::fabs(x)));
  }
};
struct LeakyReluOp {
  explicit LeakyReluOp(const ir::Node& node) : alpha(node.attr_float("alpha", 0.01f)) {}
  float operator()(float x) const { return x < 0.f ? alpha * x : x; }
  float alpha;
};
struct EluOp {
  static constexpr std::int64_t kCost = 8;
  explicit EluOp(const ir::Node& node) : alpha(node.attr_float("alpha", 1.f)) {}
  float operator()(float x) const { return x < 0.f ? alpha * std::expm1(x) : x; }
  float alpha;
};
// Clamps to [0, 1] letting NaN through.
inline float clamp_unit(float v) {
  return v < 0.f ? 0.f : (v > 1.f ? 1.f : v);
}
struct HardSigmoidOp {
  explicit HardSigmoidOp(const ir::Node& node)
      : alpha(node.attr_float("alpha", 0.2f)), beta(node.attr_float("beta", 0.5f)) {}
  float operator()(float x) const { return clamp_unit(alpha * x + beta); }
  float alpha;
  float beta;
};
struct HardSwishOp {
  float operator()(float x) const { return x * clamp_unit(x * (1.f / 6.f) + 0.5f); }
};
struct GeluErfOp {
  static constexpr std::int64_t kCost = 16;
  float operator()(float x) const {
    return 0.5f * x * (1.f + std::erf(x * static_cast<float>(M_SQRT1_2)));
  }
};
struct GeluTanhOp {
  static constexpr std::int64_t kCost = 16;
  float operator()(float x) const {
    constexpr float kSqrt2OverPi = 0.7978845608028654f;
    return 0.5f * x * (1.f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
  }
};
struct NotOp {
  bool operator()(bool x) const { return !x; }
};

// ---- Generic inference and factories for T -> T ops over the element types Ts. ----

template <typename Op, typename... Ts>
std::vector<ValueType> infer_unary(const ir::Node& node) {
  require_input_count(node, 1, 1);
  const ir::Value& x = require_input_dtype(node, 0, "X", {dtype_of<Ts>()...});
  make_op<Op>(node);  // validates the attributes
  return {ValueType{x.dtype(), x.shape()}};
}

template <typename Op, typename... Ts>
std::unique_ptr<Kernel> create_unary(const ir::Node& node, const KernelOptions& options,
                                     std::string& why_not) {
  const DType dtype = require_input_dtype(node, 0, "X", {dtype_of<Ts>()...}).dtype();
  std::unique_ptr<Kernel> kernel;
  ((dtype == dtype_of<Ts>() && (kernel = std::make_unique<UnaryKernel<Ts, Ts, Op>>(
                                    make_op<Op>(node), kernel_threads(options)))) ||
   ...);
  return kernel;
}

template <typename Op, typename... Ts>
void define_unary(OpDefinitionTable& table, OpKind op) {
  definition_of(table, op) = {&infer_unary<Op, Ts...>, &create_unary<Op, Ts...>};
}

// ---- Gelu: the approximation picks the functor. ----

bool gelu_uses_tanh(const ir::Node& node) {
  const std::string approximate = node.attr_string("approximate", "none");
  if (approximate != "none" && approximate != "tanh") {
    throw_user_error("{}: attribute approximate is '{}'; expected 'none' or 'tanh'",
                     node.describe(), approximate);
  }
  return approximate == "tanh";
}

std::vector<ValueType> infer_gelu(const ir::Node& node) {
  gelu_uses_tanh(node);
  return infer_unary<GeluErfOp, float>(node);
}

std::unique_ptr<Kernel> create_gelu(const ir::Node& node, const KernelOptions& options,
                                    std::string& why_not) {
  if (gelu_uses_tanh(node)) return create_unary<GeluTanhOp, float>(node, options, why_not);
  return create_unary<GeluErfOp, float>(node, options, why_not);
}

// ---- Clip: optional min and max inputs, read at run time (they may be computed). ----

template <typename T>
class ClipKernel final : public Kernel {
 public:
  explicit ClipKernel(int threads) : threads_(threads) {}

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    T low = lowest_bound();
    T high = highest_bound();
    if (inputs.size() > 1 && !inputs[1].empty()) low = inputs[1].data<T>()[0];
    if (inputs.size() > 2 && !inputs[2].empty()) high = inputs[2].data<T>()[0];
    const T* src = inputs[0].data<T>();
    T* dst = outputs[0].data<T>();
    parallel_for_chunks(inputs[0].numel(), threads_, [&](std::int64_t begin, std::int64_t end) {
      // Compared this way round NaN passes through; when min > max every element becomes max,
      // as in ONNX Runtime.
      for (std::int64_t i = begin; i < end; ++i) {
        const T v = src[i] < low ? low : src[i];
        dst[i] = v > high ? high : v;
      }
    });
  }
  std::string implementation() const override { return "reference"; }

 private:
  static T lowest_bound() {
    if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::lowest();
  }
  static T highest_bound() {
    if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::max();
  }

  int threads_;
};

constexpr std::initializer_list<DType> kClipTypes = {DType::kFloat32, DType::kInt64, DType::kInt32};

std::vector<ValueType> infer_clip(const ir::Node& node) {
  require_input_count(node, 1, 3);
  const ir::Value& x = require_input_dtype(node, 0, "input", kClipTypes);
  static constexpr const char* kBoundNames[] = {"", "min", "max"};
  for (std::size_t i = 1; i < node.input_count(); ++i) {
    const ir::Value* bound = node.input(i);
    if (bound == nullptr) continue;
    require_input_dtype(node, i, kBoundNames[i], {x.dtype()});
    if (bound->shape().numel() != 1) {
      throw_user_error("{}: input {} ({}) must hold one value, its shape is {}", node.describe(), i,
                       kBoundNames[i], bound->shape().to_string());
    }
  }
  return {ValueType{x.dtype(), x.shape()}};
}

std::unique_ptr<Kernel> create_clip(const ir::Node& node, const KernelOptions& options,
                                    std::string& why_not) {
  const int threads = kernel_threads(options);
  switch (require_input_dtype(node, 0, "input", kClipTypes).dtype()) {
    case DType::kFloat32:
      return std::make_unique<ClipKernel<float>>(threads);
    case DType::kInt64:
      return std::make_unique<ClipKernel<std::int64_t>>(threads);
    case DType::kInt32:
      return std::make_unique<ClipKernel<std::int32_t>>(threads);
    default:
      break;
  }
  throw_internal_error("{}: Clip dtype passed the check but has no kernel", node.describe());
}

}  // namespace

void define_unary_ops(OpDefinitionTable& table) {
  using I64 = std::int64_t;
  using I32 = std::int32_t;
  define_unary<AbsOp, float, I64, I32>(table, OpKind::kAbs);
  define_unary<NegOp, float, I64, I32>(table, OpKind::kNeg);
  define_unary<SignOp, float, I64, I32>(table, OpKind::kSign);
  define_unary<CeilOp, float>(table, OpKind::kCeil);
  define_unary<FloorOp, float>(table, OpKind::kFloor);
  define_unary<RoundOp, float>(table, OpKind::kRound);
  define_unary<CosOp, float>(table, OpKind::kCos);
  define_unary<SinOp, float>(table, OpKind::kSin);
  define_unary<ErfOp, float>(table, OpKind::kErf);
  define_unary<ExpOp, float>(table, OpKind::kExp);
  define_unary<LogOp, float>(table, OpKind::kLog);
  define_unary<SqrtOp, float>(table, OpKind::kSqrt);
  define_unary<ReciprocalOp, float>(table, OpKind::kReciprocal);
  define_unary<TanhOp, float>(table, OpKind::kTanh);
  define_unary<ReluOp, float>(table, OpKind::kRelu);
  define_unary<SigmoidOp, float>(table, OpKind::kSigmoid);
  define_unary<SiluOp, float>(table, OpKind::kSilu);
  define_unary<SoftplusOp, float>(table, OpKind::kSoftplus);
  define_unary<LeakyReluOp, float>(table, OpKind::kLeakyRelu);
  define_unary<EluOp, float>(table, OpKind::kElu);
  define_unary<HardSigmoidOp, float>(table, OpKind::kHardSigmoid);
  define_unary<HardSwishOp, float>(table, OpKind::kHardSwish);
  define_unary<NotOp, bool>(table, OpKind::kNot);
  definition_of(table, OpKind::kGelu) = {&infer_gelu, &create_gelu};
  definition_of(table, OpKind::kClip) = {&infer_clip, &create_clip};
}

void define_elementwise_ops(OpDefinitionTable& table) {
  define_unary_ops(table);
  define_binary_ops(table);
  define_cast_op(table);
}

}  // namespace kiln::kernels::reference
