#pragma once

// The rule for the sliding-window attributes of Conv, ConvTranspose and the pools, in one place:
// the import checks it on the ONNX nodes before ONNX's own shape inference (which divides by
// strides), and the kernels' attribute parsing checks it again on kiln's nodes.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace kiln::ir {

/// The smallest value each entry of a sliding-window attribute may hold: 1 for strides,
/// dilations and kernel_shape, 0 for pads and output_padding; nullopt for any other name.
std::optional<std::int64_t> window_attribute_minimum(std::string_view attribute);

/// True for the ONNX ops whose attributes follow that rule (Conv, ConvTranspose, MaxPool,
/// AveragePool, LpPool).
bool has_window_attributes(std::string_view op_type);

/// A user error "{owner}: attribute 'strides' = [1,0] has a value below 1" (or "... has a
/// negative value" for pads) when `values` break the rule; nothing for other attributes.
void check_window_attribute(std::string_view owner, std::string_view attribute,
                            std::span<const std::int64_t> values);

}  // namespace kiln::ir
