#pragma once

// MaxPool / AveragePool / GlobalAveragePool / GlobalMaxPool attributes, validated and resolved
// once (auto_pad, ceil_mode) into the geometry both the reference and the oneDNN kernels use.

#include <cstdint>
#include <vector>

#include "kiln/core/shape.h"
#include "kiln/ir/graph.h"

namespace kiln::kernels::reference {

/// The geometry of a pooling node. The global pools become one window over the input, with
/// their spatial axes flattened into one (so any rank works). Window o on spatial axis i covers
/// input positions o * strides[i] - pads_begin[i] + k * dilations[i] for k in [0, kernel[i]);
/// positions outside [0, in) are padding. Under ceil_mode the last window may reach past pads_end:
/// those positions count for nothing (not even for count_include_pad). Every window holds at least
/// one input position (parse_pool_params checks it).
struct PoolParams {
  bool is_max = false;
  bool count_include_pad = false;
  bool ceil_mode = false;
  std::int64_t batch = 0;
  std::int64_t channels = 0;
  std::vector<std::int64_t> in_spatial;
  std::vector<std::int64_t> out_spatial;
  std::vector<std::int64_t> kernel;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads_begin;
  std::vector<std::int64_t> pads_end;

  /// [N, C, out...]; for the global pools [N, C, 1, ...] with X's rank.
  Shape output_shape;

  std::size_t spatial_rank() const { return kernel.size(); }
  std::int64_t kernel_extent(std::size_t i) const { return (kernel[i] - 1) * dilations[i] + 1; }
  /// How far the last window reaches past pads_end on axis i (positive only under ceil_mode).
  std::int64_t overhang(std::size_t i) const {
    return (out_spatial[i] - 1) * strides[i] + kernel_extent(i) - in_spatial[i] - pads_begin[i] -
           pads_end[i];
  }
};

/// Validates a pooling node (X [N,C,spatial...] float32; 1 to 3 spatial axes for MaxPool and
/// AveragePool, any number for the global pools) and resolves its geometry. Bad attributes or
/// shapes throw a user Error naming the node.
PoolParams parse_pool_params(const ir::Node& node);

}  // namespace kiln::kernels::reference
