#pragma once

// The parts of define_reduction_ops, one per file, and what they share.

#include <cstdint>

#include "kiln/core/shape.h"
#include "kiln/kernels/op_definitions.h"
#include "kiln/kernels/reference/elementwise_common.h"

namespace kiln::kernels::reference {

/// ReduceL2 ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum
void define_reduce_ops(OpDefinitionTable& table);
/// ArgMax TopK
void define_index_ops(OpDefinitionTable& table);
/// LayerNormalization LogSoftmax Softmax
void define_softmax_ops(OpDefinitionTable& table);

/// A tensor seen as [outer, length, inner] around one axis: element (o, i, j) is at
/// (o * length + i) * inner + j.
struct AxisSplit {
  std::int64_t outer = 1;
  std::int64_t length = 1;
  std::int64_t inner = 1;
};

/// Splits `shape` around `axis` (already normalised).
inline AxisSplit split_at_axis(const Shape& shape, std::int64_t axis) {
  AxisSplit split;
  for (std::int64_t d = 0; d < static_cast<std::int64_t>(shape.rank()); ++d) {
    if (d < axis) split.outer *= shape[d];
    if (d == axis) split.length = shape[d];
    if (d > axis) split.inner *= shape[d];
  }
  return split;
}

}  // namespace kiln::kernels::reference
