#include "kiln/kernels/reference/pool_attributes.h"

#include "kiln/ir/window_attributes.h"
#include "kiln/kernels/reference/spatial_attributes.h"

namespace kiln::kernels::reference {

namespace {

PoolParams parse_global_pool(const ir::Node& node, const Shape& x_shape) {
  PoolParams p;
  p.is_max = node.op() == ir::OpKind::kGlobalMaxPool;
  p.batch = x_shape[0];
  p.channels = x_shape[1];
  std::int64_t positions = 1;
  for (std::size_t i = 2; i < x_shape.rank(); ++i) positions *= x_shape[i];
  if (positions == 0) {
    throw_user_error("{}: input X {} has no spatial positions to pool", node.describe(),
                     x_shape.to_string());
  }
  p.in_spatial = {positions};
  p.out_spatial = {1};
  p.kernel = {positions};
  p.strides = {1};
  p.dilations = {1};
  p.pads_begin = {0};
  p.pads_end = {0};
  std::vector<std::int64_t> out_dims(x_shape.rank(), 1);
  out_dims[0] = p.batch;
  out_dims[1] = p.channels;
  p.output_shape = Shape(std::move(out_dims));
  return p;
}

// A window made only of padding has no maximum and no average; ONNX leaves it undefined, so
// kiln refuses such geometry (it takes pads at least as large as the kernel).
void check_windows_hold_input(const ir::Node& node, const PoolParams& p) {
  for (std::size_t i = 0; i < p.spatial_rank(); ++i) {
    for (std::int64_t o = 0; o < p.out_spatial[i]; ++o) {
      const std::int64_t first = o * p.strides[i] - p.pads_begin[i];
      const std::int64_t k0 = first >= 0 ? 0 : (-first + p.dilations[i] - 1) / p.dilations[i];
      if (k0 >= p.kernel[i] || first + k0 * p.dilations[i] >= p.in_spatial[i]) {
        throw_user_error(
            "{}: pooling window {} on spatial axis {} covers only padding (input {}, kernel {}, "
            "strides {}, dilations {}, pads {} + {})",
            node.describe(), o, i, p.in_spatial[i], format_ints(p.kernel), format_ints(p.strides),
            format_ints(p.dilations), format_ints(p.pads_begin), format_ints(p.pads_end));
      }
    }
  }
}

}  // namespace

PoolParams parse_pool_params(const ir::Node& node) {
  const ir::Value& x = require_float32_input(node, 0, "X");
  const Shape& x_shape = x.shape();
  if (node.output_count() != 1) {
    throw_user_error(
        "{}: has {} outputs; kiln computes only output 0 (MaxPool's Indices output "
        "is not supported)",
        node.describe(), node.output_count());
  }
  const bool global =
      node.op() == ir::OpKind::kGlobalAveragePool || node.op() == ir::OpKind::kGlobalMaxPool;
  if (x_shape.rank() < 3 || (!global && x_shape.rank() > 5)) {
    throw_user_error("{}: input X has shape {}; kiln supports {} (rank {})", node.describe(),
                     x_shape.to_string(),
                     global ? "at least 1 spatial axis" : "1 to 3 spatial axes",
                     global ? "3 or more" : "3 to 5");
  }
  if (global) return parse_global_pool(node, x_shape);

  const std::size_t spatial = x_shape.rank() - 2;
  PoolParams p;
  p.is_max = node.op() == ir::OpKind::kMaxPool;
  p.batch = x_shape[0];
  p.channels = x_shape[1];
  p.in_spatial.assign(x_shape.dims().begin() + 2, x_shape.dims().end());
  p.kernel = node.attr_ints("kernel_shape");
  if (p.kernel.size() != spatial) {
    throw_user_error("{}: kernel_shape {} has {} values, input X {} has {} spatial axes",
                     node.describe(), format_ints(p.kernel), p.kernel.size(), x_shape.to_string(),
                     spatial);
  }
  ir::check_window_attribute(node.describe(), "kernel_shape", p.kernel);
  p.strides = parse_spatial_ints(node, "strides", spatial, 1);
  p.dilations = parse_spatial_ints(node, "dilations", spatial, 1);
  p.ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  p.count_include_pad = !p.is_max && node.attr_int("count_include_pad", 0) != 0;

  const AutoPad auto_pad = parse_auto_pad(node);
  Pads pads = resolve_window_pads(node, auto_pad, p.in_spatial, p.kernel, p.strides, p.dilations);
  p.pads_begin = std::move(pads.begin);
  p.pads_end = std::move(pads.end);
  p.out_spatial.resize(spatial);
  for (std::size_t i = 0; i < spatial; ++i) {
    const std::int64_t in = p.in_spatial[i];
    if (auto_pad == AutoPad::kSameUpper || auto_pad == AutoPad::kSameLower) {
      p.out_spatial[i] = same_output_size(in, p.strides[i]);
      continue;
    }
    const std::int64_t extent = p.kernel_extent(i);
    const std::int64_t padded = in + p.pads_begin[i] + p.pads_end[i];
    // SAME and VALID fix the output size; ceil_mode only rounds explicit padding's.
    const bool round_up = p.ceil_mode && auto_pad == AutoPad::kNotSet;
    const std::int64_t slack = padded - extent;
    std::int64_t out = slack / p.strides[i] + 1 + (round_up && slack % p.strides[i] != 0 ? 1 : 0);
    // A last window that would start in the right padding is dropped (ONNX, PyTorch).
    if (round_up && (out - 1) * p.strides[i] >= in + p.pads_begin[i]) --out;
    p.out_spatial[i] = out;
  }
  check_windows_hold_input(node, p);

  std::vector<std::int64_t> out_dims = {p.batch, p.channels};
  out_dims.insert(out_dims.end(), p.out_spatial.begin(), p.out_spatial.end());
  p.output_shape = Shape(std::move(out_dims));
  return p;
}

}  // namespace kiln::kernels::reference
