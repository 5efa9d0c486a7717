#include "kiln/kernels/reference/conv_attributes.h"

#include <fmt/format.h>

#include "kiln/core/checked_arithmetic.h"
#include "kiln/kernels/reference/spatial_attributes.h"

namespace kiln::kernels::reference {

Shape ConvParams::output_shape() const {
  std::vector<std::int64_t> dims = {batch, out_channels};
  dims.insert(dims.end(), out_spatial.begin(), out_spatial.end());
  return Shape(std::move(dims));
}

namespace {

// What Conv and ConvTranspose share: X and W ranks and types, group, kernel_shape, strides and
// dilations. The bias is checked later (check_bias), once the output channel count is known.
ConvParams parse_common(const ir::Node& node) {
  const ir::Value& x = require_float32_input(node, 0, "X");
  const ir::Value& w = require_float32_input(node, 1, "W");
  const std::size_t rank = x.shape().rank();
  if (rank < 3 || rank > 5) {
    throw_user_error("{}: input X has shape {}; kiln supports 1 to 3 spatial axes (rank 3 to 5)",
                     node.describe(), x.shape().to_string());
  }
  if (w.shape().rank() != rank) {
    throw_user_error("{}: weight W has shape {}, expected rank {} like input X {}", node.describe(),
                     w.shape().to_string(), rank, x.shape().to_string());
  }
  const std::size_t spatial = rank - 2;
  ConvParams p;
  p.batch = x.shape()[0];
  p.in_channels = x.shape()[1];
  p.in_spatial.assign(x.shape().dims().begin() + 2, x.shape().dims().end());
  p.kernel.assign(w.shape().dims().begin() + 2, w.shape().dims().end());
  for (std::int64_t k : p.kernel) {
    if (k < 1) {
      throw_user_error("{}: weight W has shape {} with an empty kernel", node.describe(),
                       w.shape().to_string());
    }
  }
  if (node.has_attribute("kernel_shape")) {
    const std::vector<std::int64_t> kernel_shape = node.attr_ints("kernel_shape");
    if (kernel_shape != p.kernel) {
      throw_user_error("{}: kernel_shape {} does not match weight W shape {}", node.describe(),
                       format_ints(kernel_shape), w.shape().to_string());
    }
  }
  p.group = node.attr_int("group", 1);
  if (p.group < 1) {
    throw_user_error("{}: group = {} must be at least 1", node.describe(), p.group);
  }
  if (p.in_channels % p.group != 0) {
    throw_user_error("{}: group = {} does not divide the {} input channels of X {}",
                     node.describe(), p.group, p.in_channels, x.shape().to_string());
  }
  p.strides = parse_spatial_ints(node, "strides", spatial, 1);
  p.dilations = parse_spatial_ints(node, "dilations", spatial, 1);
  return p;
}

void check_bias(const ir::Node& node, ConvParams& p) {
  if (node.input(2) == nullptr) return;
  const ir::Value& b = require_float32_input(node, 2, "B");
  if (b.shape() != Shape{p.out_channels}) {
    throw_user_error("{}: bias B has shape {}, expected [{}] (one per output channel)",
                     node.describe(), b.shape().to_string(), p.out_channels);
  }
  p.has_bias = true;
}

}  // namespace

ConvParams parse_conv_params(const ir::Node& node) {
  ConvParams p = parse_common(node);
  const Shape& w_shape = node.input(1)->shape();
  p.out_channels = w_shape[0];
  if (p.out_channels % p.group != 0) {
    throw_user_error("{}: group = {} does not divide the {} output channels of weight W {}",
                     node.describe(), p.group, p.out_channels, w_shape.to_string());
  }
  if (w_shape[1] != p.in_channels_per_group()) {
    throw_user_error(
        "{}: weight W {} has {} input channels per group, input X has {} channels / group {}",
        node.describe(), w_shape.to_string(), w_shape[1], p.in_channels, p.group);
  }
  check_bias(node, p);

  Pads pads = resolve_window_pads(node, parse_auto_pad(node), p.in_spatial, p.kernel, p.strides,
                                  p.dilations);
  p.pads_begin = std::move(pads.begin);
  p.pads_end = std::move(pads.end);
  p.out_spatial.resize(p.spatial_rank());
  for (std::size_t i = 0; i < p.spatial_rank(); ++i) {
    const std::int64_t padded = p.in_spatial[i] + p.pads_begin[i] + p.pads_end[i];
    p.out_spatial[i] = (padded - p.kernel_extent(i)) / p.strides[i] + 1;
  }
  return p;
}

ConvParams parse_conv_transpose_params(const ir::Node& node) {
  ConvParams p = parse_common(node);
  p.transposed = true;
  const Shape& w_shape = node.input(1)->shape();
  if (w_shape[0] != p.in_channels) {
    throw_user_error("{}: weight W {} has {} input channels, input X has {}", node.describe(),
                     w_shape.to_string(), w_shape[0], p.in_channels);
  }
  p.out_channels = w_shape[1] * p.group;
  check_bias(node, p);

  const std::size_t spatial = p.spatial_rank();
  const std::vector<std::int64_t> output_padding =
      parse_spatial_ints(node, "output_padding", spatial, 0);
  for (std::size_t i = 0; i < spatial; ++i) {
    if (output_padding[i] >= std::max(p.strides[i], p.dilations[i])) {
      throw_user_error(
          "{}: output_padding {} must be smaller than the stride or the dilation on spatial "
          "axis {}",
          node.describe(), format_ints(output_padding), i);
    }
  }

  // The output size each axis reaches with no padding at all.
  std::vector<std::int64_t> full(spatial);
  const std::string what = fmt::format("{}: output size", node.describe());
  for (std::size_t i = 0; i < spatial; ++i) {
    const std::int64_t reach = checked_multiply(p.strides[i], p.in_spatial[i] - 1, what);
    full[i] = checked_add(checked_add(reach, output_padding[i], what),
                          kernel_extent(node, p.kernel[i], p.dilations[i]), what);
  }

  const AutoPad auto_pad = parse_auto_pad(node);
  std::vector<std::int64_t> wanted;
  if (node.has_attribute("output_shape")) {
    wanted = node.attr_ints("output_shape");
    // ONNX asks for spatial sizes only; some exporters write N and C too.
    if (wanted.size() == spatial + 2) wanted.erase(wanted.begin(), wanted.begin() + 2);
    if (wanted.size() != spatial) {
      throw_user_error("{}: output_shape {} has {} values, expected {} spatial sizes",
                       node.describe(), format_ints(node.attr_ints("output_shape")), wanted.size(),
                       spatial);
    }
  } else if (auto_pad == AutoPad::kSameUpper || auto_pad == AutoPad::kSameLower) {
    wanted.resize(spatial);
    for (std::size_t i = 0; i < spatial; ++i) {
      wanted[i] = checked_multiply(p.in_spatial[i], p.strides[i], what);
    }
  }

  p.pads_begin.assign(spatial, 0);
  p.pads_end.assign(spatial, 0);
  if (!wanted.empty()) {
    for (std::size_t i = 0; i < spatial; ++i) {
      const std::int64_t total = full[i] - wanted[i];
      const std::int64_t small_half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      p.pads_begin[i] = auto_pad == AutoPad::kSameUpper ? small_half : total - small_half;
      p.pads_end[i] = total - p.pads_begin[i];
    }
  } else if (auto_pad == AutoPad::kNotSet) {
    Pads pads = parse_pads(node, spatial);
    p.pads_begin = std::move(pads.begin);
    p.pads_end = std::move(pads.end);
  }

  p.out_spatial.resize(spatial);
  for (std::size_t i = 0; i < spatial; ++i) {
    p.out_spatial[i] = full[i] - p.pads_begin[i] - p.pads_end[i];
    if (p.out_spatial[i] < 1) {
      throw_user_error("{}: pads {} and {} leave no output on spatial axis {} (unpadded size {})",
                       node.describe(), format_ints(p.pads_begin), format_ints(p.pads_end), i,
                       full[i]);
    }
    p.pads_end[i] -= output_padding[i];
  }
  return p;
}

}  // namespace kiln::kernels::reference
