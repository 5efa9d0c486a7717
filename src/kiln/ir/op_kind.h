#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kiln::ir {

/// Traits of an op kind that passes read instead of growing switch lists.
enum OpTrait : std::uint32_t {
  kNoTraits = 0,
  kElementwise = 1u << 0,  ///< output[i] depends on input[i] only (after broadcasting)
  kBroadcasts = 1u << 1,   ///< inputs broadcast numpy-style
  kCommutative = 1u << 2,  ///< two inputs may be swapped
  kUnary = 1u << 3,        ///< one data input
  kShapeOnly = 1u << 4,    ///< output depends on input shapes only, never on values
  kReshapeLike = 1u << 5,  ///< output has the input's bytes in the same order (may alias it)
  kHeavy = 1u << 6,        ///< dominated by arithmetic (conv, matmul): worth an optimized kernel
  kVariadic = 1u << 7,     ///< any number of inputs
};

/// The one list of ops kiln knows, with their traits: X(Name, traits). Names are ONNX's op
/// types, and mean what ONNX opset 13 says they mean (the importer canonicalises older opsets);
/// ops kiln creates itself (by fusion) are marked in their comment.
#define KILN_OP_LIST(X)                                          \
  X(Abs, kElementwise | kUnary)                                  \
  X(Add, kElementwise | kBroadcasts | kCommutative)              \
  X(And, kElementwise | kBroadcasts | kCommutative)              \
  X(ArgMax, kNoTraits)                                           \
  X(AveragePool, kNoTraits)                                      \
  X(BatchNormalization, kNoTraits)                               \
  X(Cast, kElementwise | kUnary)                                 \
  X(Ceil, kElementwise | kUnary)                                 \
  X(Clip, kElementwise)                                          \
  X(Concat, kVariadic)                                           \
  X(ConstantOfShape, kNoTraits)                                  \
  X(Conv, kHeavy)                                                \
  X(ConvTranspose, kHeavy)                                       \
  X(Cos, kElementwise | kUnary)                                  \
  X(DepthToSpace, kNoTraits)                                     \
  X(Div, kElementwise | kBroadcasts)                             \
  X(Elu, kElementwise | kUnary)                                  \
  X(Equal, kElementwise | kBroadcasts | kCommutative)            \
  X(Erf, kElementwise | kUnary)                                  \
  X(Exp, kElementwise | kUnary)                                  \
  X(Expand, kNoTraits)                                           \
  X(Flatten, kReshapeLike)                                       \
  X(Floor, kElementwise | kUnary)                                \
  X(Gather, kNoTraits)                                           \
  X(Gelu, kElementwise | kUnary) /* kiln: fused erf GELU */      \
  X(Gemm, kHeavy)                                                \
  X(GlobalAveragePool, kNoTraits)                                \
  X(GlobalMaxPool, kNoTraits)                                    \
  X(Greater, kElementwise | kBroadcasts)                         \
  X(GreaterOrEqual, kElementwise | kBroadcasts)                  \
  X(HardSigmoid, kElementwise | kUnary)                          \
  X(HardSwish, kElementwise | kUnary)                            \
  X(Identity, kReshapeLike)                                      \
  X(LayerNormalization, kNoTraits)                               \
  X(LeakyRelu, kElementwise | kUnary)                            \
  X(Less, kElementwise | kBroadcasts)                            \
  X(LessOrEqual, kElementwise | kBroadcasts)                     \
  X(Log, kElementwise | kUnary)                                  \
  X(LogSoftmax, kNoTraits)                                       \
  X(MatMul, kHeavy)                                              \
  X(Max, kElementwise | kBroadcasts | kCommutative | kVariadic)  \
  X(MaxPool, kNoTraits)                                          \
  X(Mean, kElementwise | kBroadcasts | kCommutative | kVariadic) \
  X(Min, kElementwise | kBroadcasts | kCommutative | kVariadic)  \
  X(Mul, kElementwise | kBroadcasts | kCommutative)              \
  X(Neg, kElementwise | kUnary)                                  \
  X(Not, kElementwise | kUnary)                                  \
  X(Or, kElementwise | kBroadcasts | kCommutative)               \
  X(PRelu, kElementwise | kBroadcasts)                           \
  X(Pad, kNoTraits)                                              \
  X(Pow, kElementwise | kBroadcasts)                             \
  X(Range, kNoTraits)                                            \
  X(Reciprocal, kElementwise | kUnary)                           \
  X(ReduceL2, kNoTraits)                                         \
  X(ReduceMax, kNoTraits)                                        \
  X(ReduceMean, kNoTraits)                                       \
  X(ReduceMin, kNoTraits)                                        \
  X(ReduceProd, kNoTraits)                                       \
  X(ReduceSum, kNoTraits)                                        \
  X(Relu, kElementwise | kUnary)                                 \
  X(Reshape, kReshapeLike)                                       \
  X(Resize, kNoTraits)                                           \
  X(Round, kElementwise | kUnary)                                \
  X(Shape, kShapeOnly)                                           \
  X(Sigmoid, kElementwise | kUnary)                              \
  X(Sign, kElementwise | kUnary)                                 \
  X(Silu, kElementwise | kUnary) /* kiln: fused x * sigmoid(x) */\
  X(Sin, kElementwise | kUnary)                                  \
  X(Size, kShapeOnly)                                            \
  X(Slice, kNoTraits)                                            \
  X(Softmax, kNoTraits)                                          \
  X(Softplus, kElementwise | kUnary)                             \
  X(SpaceToDepth, kNoTraits)                                     \
  X(Split, kNoTraits)                                            \
  X(Sqrt, kElementwise | kUnary)                                 \
  X(Squeeze, kReshapeLike)                                       \
  X(Sub, kElementwise | kBroadcasts)                             \
  X(Sum, kElementwise | kBroadcasts | kCommutative | kVariadic)  \
  X(Tanh, kElementwise | kUnary)                                 \
  X(Tile, kNoTraits)                                             \
  X(TopK, kNoTraits)                                             \
  X(Transpose, kNoTraits)                                        \
  X(Unsqueeze, kReshapeLike)                                     \
  X(Where, kElementwise | kBroadcasts)

enum class OpKind : std::uint16_t {
#define KILN_OP_ENUM(name, traits) k##name,
  KILN_OP_LIST(KILN_OP_ENUM)
#undef KILN_OP_ENUM
};

struct OpInfo {
  OpKind kind;
  std::string_view name;
  std::uint32_t traits;
};

inline constexpr std::array kOpTable = {
#define KILN_OP_INFO(name, traits) OpInfo{OpKind::k##name, #name, traits},
    KILN_OP_LIST(KILN_OP_INFO)
#undef KILN_OP_INFO
};
inline constexpr std::size_t kOpCount = kOpTable.size();

namespace detail {
constexpr bool op_table_is_consistent() {
  for (std::size_t i = 0; i < kOpTable.size(); ++i) {
    if (static_cast<std::size_t>(kOpTable[i].kind) != i) return false;
    // Sorted names keep the list greppable and catch duplicates.
    if (i > 0 && !(kOpTable[i - 1].name < kOpTable[i].name)) return false;
  }
  return true;
}
}  // namespace detail
static_assert(detail::op_table_is_consistent(), "KILN_OP_LIST must be sorted and unique");

constexpr const OpInfo& op_info(OpKind kind) {
  return kOpTable[static_cast<std::size_t>(kind)];
}
constexpr std::string_view op_name(OpKind kind) {
  return op_info(kind).name;
}
constexpr bool has_trait(OpKind kind, OpTrait trait) {
  return (op_info(kind).traits & trait) != 0;
}
/// Finds an op by its ONNX name; nullopt when kiln does not know it.
std::optional<OpKind> find_op(std::string_view name);

}  // namespace kiln::ir
