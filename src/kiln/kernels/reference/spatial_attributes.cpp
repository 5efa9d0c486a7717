#include "kiln/kernels/reference/spatial_attributes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kiln/core/checked_arithmetic.h"
#include "kiln/ir/window_attributes.h"
#include "kiln/kernels/kernel.h"

namespace kiln::kernels::reference {

AutoPad parse_auto_pad(const ir::Node& node) {
  const std::string text = node.attr_string("auto_pad", "NOTSET");
  if (text == "NOTSET") return AutoPad::kNotSet;
  if (text == "SAME_UPPER") return AutoPad::kSameUpper;
  if (text == "SAME_LOWER") return AutoPad::kSameLower;
  if (text == "VALID") return AutoPad::kValid;
  throw_user_error("{}: auto_pad '{}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID",
                   node.describe(), text);
}

std::vector<std::int64_t> parse_spatial_ints(const ir::Node& node, std::string_view name,
                                             std::size_t count, std::int64_t fallback) {
  std::vector<std::int64_t> values =
      node.attr_ints(name, std::vector<std::int64_t>(count, fallback));
  if (values.size() != count) {
    throw_user_error("{}: attribute '{}' has {} values {}, expected one per spatial axis ({})",
                     node.describe(), name, values.size(), format_ints(values), count);
  }
  ir::check_window_attribute(node.describe(), name, values);
  return values;
}

Pads parse_pads(const ir::Node& node, std::size_t count) {
  const std::vector<std::int64_t> values =
      node.attr_ints("pads", std::vector<std::int64_t>(2 * count, 0));
  if (values.size() != 2 * count) {
    throw_user_error(
        "{}: attribute 'pads' = {} has {} values, expected {} (begin and end for {} "
        "spatial axes)",
        node.describe(), format_ints(values), values.size(), 2 * count, count);
  }
  ir::check_window_attribute(node.describe(), "pads", values);
  return {std::vector<std::int64_t>(values.begin(), values.begin() + count),
          std::vector<std::int64_t>(values.begin() + count, values.end())};
}

std::int64_t kernel_extent(const ir::Node& node, std::int64_t kernel, std::int64_t dilation) {
  const std::string what =
      fmt::format("{}: kernel extent (kernel - 1) x dilation", node.describe());
  return checked_add(checked_multiply(kernel - 1, dilation, what), 1, what);
}

std::int64_t same_output_size(std::int64_t input, std::int64_t stride) {
  return input / stride + (input % stride != 0 ? 1 : 0);
}

Pads resolve_window_pads(const ir::Node& node, AutoPad auto_pad,
                         const std::vector<std::int64_t>& in_spatial,
                         const std::vector<std::int64_t>& kernel,
                         const std::vector<std::int64_t>& strides,
                         const std::vector<std::int64_t>& dilations) {
  const std::size_t spatial = in_spatial.size();
  Pads pads = auto_pad == AutoPad::kNotSet ? parse_pads(node, spatial)
                                           : Pads{std::vector<std::int64_t>(spatial, 0),
                                                  std::vector<std::int64_t>(spatial, 0)};
  const std::string what = fmt::format("{}: padded input", node.describe());
  for (std::size_t i = 0; i < spatial; ++i) {
    const std::int64_t extent = kernel_extent(node, kernel[i], dilations[i]);
    if (auto_pad == AutoPad::kSameUpper || auto_pad == AutoPad::kSameLower) {
      // The last window starts at (output - 1) * stride, inside the input, and spans extent.
      const std::int64_t last_start =
          (same_output_size(in_spatial[i], strides[i]) - 1) * strides[i];
      const std::int64_t total =
          std::max<std::int64_t>(0, checked_add(last_start, extent, what) - in_spatial[i]);
      const std::int64_t small_half = total / 2;
      pads.begin[i] = auto_pad == AutoPad::kSameUpper ? small_half : total - small_half;
      pads.end[i] = total - pads.begin[i];
    }
    const std::int64_t padded =
        checked_add(checked_add(in_spatial[i], pads.begin[i], what), pads.end[i], what);
    if (padded < extent) {
      throw_user_error(
          "{}: kernel extent {} (kernel {}, dilation {}) is larger than the padded input {} on "
          "spatial axis {}",
          node.describe(), extent, kernel[i], dilations[i], padded, i);
    }
  }
  return pads;
}

const ir::Value& require_float32_input(const ir::Node& node, std::size_t index,
                                       std::string_view what) {
  const ir::Value& value = require_input(node, index, what);
  if (value.dtype() != DType::kFloat32) {
    throw_user_error("{}: input {} ({}) is {}; kiln computes {} in float32 only", node.describe(),
                     index, what, dtype_name(value.dtype()), node.op_name());
  }
  return value;
}

std::string format_ints(const std::vector<std::int64_t>& values) {
  return fmt::format("[{}]", fmt::join(values, ","));
}

}  // namespace kiln::kernels::reference
