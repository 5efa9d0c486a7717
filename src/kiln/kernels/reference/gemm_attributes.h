#pragma once

// MatMul and Gemm shapes and attributes, validated and resolved once for both the reference
// and the oneDNN kernels.

#include <cstdint>
#include <vector>

#include "kiln/core/shape.h"
#include "kiln/ir/graph.h"

namespace kiln::kernels::reference {

/// numpy matmul of A [..., M, K] by B [..., K, N]. A 1-D A is [1, K] and a 1-D B is [K, 1],
/// the added axis removed from the output. The batch axes broadcast.
struct MatMulParams {
  std::int64_t m = 0;
  std::int64_t k = 0;
  std::int64_t n = 0;
  /// The output's batch axes, after broadcasting.
  std::vector<std::int64_t> batch;
  /// A's and B's batch axes, left-padded with 1 to batch.size() axes.
  std::vector<std::int64_t> a_batch;
  std::vector<std::int64_t> b_batch;
  Shape output_shape;

  std::int64_t batch_count() const;
};

/// Validates a MatMul node (float32 A and B of rank >= 1). A user Error names the node when
/// K differs or the batch axes do not broadcast.
MatMulParams parse_matmul_params(const ir::Node& node);

/// Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A ([M, K]), B' = transB ? B^T : B
/// ([K, N]); C (optional) broadcasts to [M, N].
struct GemmParams {
  std::int64_t m = 0;
  std::int64_t k = 0;
  std::int64_t n = 0;
  bool trans_a = false;
  bool trans_b = false;
  float alpha = 1.f;
  float beta = 1.f;
  bool has_c = false;
  /// C's shape left-padded with 1 to rank 2 ([1, 1] for a scalar).
  std::int64_t c_rows = 0;
  std::int64_t c_cols = 0;
};

/// Validates a Gemm node (float32 A and B of rank 2, C broadcastable to [M, N]).
GemmParams parse_gemm_params(const ir::Node& node);

}  // namespace kiln::kernels::reference
