#include "kiln/kernels/reference/spatial_attributes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

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
                                             std::size_t count, std::int64_t fallback,
                                             std::int64_t min_value) {
  std::vector<std::int64_t> values =
      node.attr_ints(name, std::vector<std::int64_t>(count, fallback));
  if (values.size() != count) {
    throw_user_error("{}: attribute '{}' has {} values {}, expected one per spatial axis ({})",
                     node.describe(), name, values.size(), format_ints(values), count);
  }
  for (std::int64_t v : values) {
    if (v < min_value) {
      throw_user_error("{}: attribute '{}' = {} has a value below {}", node.describe(), name,
                       format_ints(values), min_value);
    }
  }
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
  for (std::int64_t v : values) {
    if (v < 0) {
      throw_user_error("{}: attribute 'pads' = {} has a negative value", node.describe(),
                       format_ints(values));
    }
  }
  return {std::vector<std::int64_t>(values.begin(), values.begin() + count),
          std::vector<std::int64_t>(values.begin() + count, values.end())};
}

void same_pads(AutoPad auto_pad, std::int64_t input, std::int64_t stride,
               std::int64_t kernel_extent, std::int64_t& pad_begin, std::int64_t& pad_end) {
  const std::int64_t output = (input + stride - 1) / stride;
  const std::int64_t total =
      std::max<std::int64_t>(0, (output - 1) * stride + kernel_extent - input);
  const std::int64_t small_half = total / 2;
  pad_begin = auto_pad == AutoPad::kSameUpper ? small_half : total - small_half;
  pad_end = total - pad_begin;
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
