#pragma once

// Attribute parsing shared by the sliding-window ops (Conv, ConvTranspose, the pools): auto_pad,
// per-axis ints such as strides and dilations, explicit pads, and the float32-only input check.

#include <cstdint>
#include <string_view>
#include <vector>

#include "kiln/ir/graph.h"

namespace kiln::kernels::reference {

/// ONNX's auto_pad attribute.
enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

/// Reads auto_pad (default NOTSET); a user error for any other string.
AutoPad parse_auto_pad(const ir::Node& node);

/// Reads an ints attribute with one value per spatial axis (`count` of them), each at least
/// `min_value`; absent means `fallback` on every axis. A user error names the attribute when
/// the length or a value is wrong.
std::vector<std::int64_t> parse_spatial_ints(const ir::Node& node, std::string_view name,
                                             std::size_t count, std::int64_t fallback,
                                             std::int64_t min_value);

/// Explicit pads: [x1_begin, x2_begin, ..., x1_end, x2_end, ...], non-negative, zero when absent.
struct Pads {
  std::vector<std::int64_t> begin;
  std::vector<std::int64_t> end;
};
Pads parse_pads(const ir::Node& node, std::size_t count);

/// Pads that make output = ceil(input / stride) (ONNX SAME_UPPER / SAME_LOWER for Conv and the
/// pools): the total is split evenly, the odd one goes to the end (upper) or the beginning.
void same_pads(AutoPad auto_pad, std::int64_t input, std::int64_t stride,
               std::int64_t kernel_extent, std::int64_t& pad_begin, std::int64_t& pad_end);

/// The input's type, which must be float32 (kiln computes these ops in float32 only).
const ir::Value& require_float32_input(const ir::Node& node, std::size_t index,
                                       std::string_view what);

/// "[a,b,c]", for messages.
std::string format_ints(const std::vector<std::int64_t>& values);

}  // namespace kiln::kernels::reference
