#pragma once

// The parts of define_elementwise_ops, one per file, and the kernel templates they share.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

#include "kiln/kernels/op_definitions.h"
#include "kiln/kernels/reference/elementwise_common.h"

namespace kiln::kernels::reference {

/// Abs Ceil Clip Cos Elu Erf Exp Floor Gelu HardSigmoid HardSwish LeakyRelu Log Neg Not
/// Reciprocal Relu Round Sigmoid Sign Sin Softplus Sqrt Tanh
void define_unary_ops(OpDefinitionTable& table);
/// Add And Div Equal Greater GreaterOrEqual Less LessOrEqual Max Mean Min Mul Or PRelu Pow Sub
/// Sum Where
void define_binary_ops(OpDefinitionTable& table);
/// Cast
void define_cast_op(OpDefinitionTable& table);

inline OpDefinition& definition_of(OpDefinitionTable& table, ir::OpKind op) {
  return table[static_cast<std::size_t>(op)];
}

/// An op functor built from the node's attributes when it has a constructor taking the node.
template <typename Op>
Op make_op(const ir::Node& node) {
  if constexpr (std::is_constructible_v<Op, const ir::Node&>) {
    return Op(node);
  } else {
    return Op{};
  }
}

/// Relative cost of one element of Op (transcendental functions declare kCost), which lowers
/// the size at which a loop goes parallel.
template <typename Op>
constexpr std::int64_t op_cost() {
  if constexpr (requires { Op::kCost; }) {
    return Op::kCost;
  } else {
    return 1;
  }
}

/// Two's-complement negation without signed overflow (-INT64_MIN stays INT64_MIN, as in numpy).
template <typename T>
T wrapping_negate(T x) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(std::make_unsigned_t<T>{0} - static_cast<std::make_unsigned_t<T>>(x));
  } else {
    return -x;
  }
}

/// dst[i] = op(src[i]) over the whole tensor; Out is the output element type.
template <typename T, typename Out, typename Op>
class UnaryKernel final : public Kernel {
 public:
  UnaryKernel(Op op, int threads) : op_(op), threads_(threads) {}

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const T* src = elements<T>(inputs[0]);
    Out* dst = elements<Out>(outputs[0]);
    const Op op = op_;
    parallel_for_chunks(
        inputs[0].numel(), threads_,
        [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t i = begin; i < end; ++i) dst[i] = op(src[i]);
        },
        kChunkElements, op_cost<Op>());
  }
  std::string implementation() const override { return "reference"; }

 private:
  Op op_;
  int threads_;
};

}  // namespace kiln::kernels::reference
