#pragma once

// BatchNormalization (inference form) attributes and shapes, validated once for both the
// reference and the oneDNN kernels.

#include <cstdint>

#include "kiln/ir/graph.h"

namespace kiln::kernels::reference {

struct BatchNormParams {
  std::int64_t batch = 0;
  std::int64_t channels = 0;
  std::int64_t plane = 1;  ///< elements per (sample, channel): the product of the spatial axes
  float epsilon = 1e-5f;
};

/// Validates a BatchNormalization node: X [N, C, ...] float32 of rank >= 2; scale, B,
/// input_mean, input_var all float32 [C]; inference only (one output, training_mode 0).
BatchNormParams parse_batch_norm_params(const ir::Node& node);

}  // namespace kiln::kernels::reference
