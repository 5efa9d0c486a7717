#pragma once

// Conv and ConvTranspose attributes, validated and resolved once (auto_pad, output_shape,
// kernel_shape from W) into the geometry both the reference and the oneDNN kernels use.

#include <cstdint>
#include <vector>

#include "kiln/core/shape.h"
#include "kiln/ir/graph.h"

namespace kiln::kernels::reference {

/// The geometry of a Conv or ConvTranspose node. Spatial vectors have one entry per spatial axis
/// (1 to 3 of them). For ConvTranspose, pads may be negative (output_shape or SAME asking for
/// a larger output than the kernel reaches), and output_padding is already folded into
/// pads_end: out = stride * (in - 1) + kernel_extent - pads_begin - pads_end.
struct ConvParams {
  bool transposed = false;
  std::int64_t batch = 0;
  std::int64_t in_channels = 0;
  std::int64_t out_channels = 0;
  std::int64_t group = 1;
  std::vector<std::int64_t> in_spatial;
  std::vector<std::int64_t> out_spatial;
  std::vector<std::int64_t> kernel;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads_begin;
  std::vector<std::int64_t> pads_end;
  bool has_bias = false;

  std::size_t spatial_rank() const { return kernel.size(); }
  std::int64_t in_channels_per_group() const { return in_channels / group; }
  std::int64_t out_channels_per_group() const { return out_channels / group; }
  /// (kernel - 1) * dilation + 1 on axis i.
  std::int64_t kernel_extent(std::size_t i) const { return (kernel[i] - 1) * dilations[i] + 1; }
  Shape output_shape() const;
};

/// Validates a Conv node (X [N,C,spatial...], W [M,C/group,k...], optional B [M]; float32) and
/// resolves its geometry. Bad attributes or shapes throw a user Error naming the node.
ConvParams parse_conv_params(const ir::Node& node);

/// Validates a ConvTranspose node (X [N,C,spatial...], W [C,M/group,k...], optional B [M];
/// float32) and resolves output_shape, output_padding and auto_pad into pads.
ConvParams parse_conv_transpose_params(const ir::Node& node);

}  // namespace kiln::kernels::reference
