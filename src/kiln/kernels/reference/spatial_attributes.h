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

/// Reads an ints attribute with one value per spatial axis (`count` of them); absent means
/// `fallback` on every axis. A user error names the attribute when the length is wrong or a
/// value breaks ir::check_window_attribute's rule (strides and dilations at least 1,
/// output_padding at least 0).
std::vector<std::int64_t> parse_spatial_ints(const ir::Node& node, std::string_view name,
                                             std::size_t count, std::int64_t fallback);

/// Explicit pads: [x1_begin, x2_begin, ..., x1_end, x2_end, ...], non-negative, zero when absent.
struct Pads {
  std::vector<std::int64_t> begin;
  std::vector<std::int64_t> end;
};
Pads parse_pads(const ir::Node& node, std::size_t count);

/// (kernel - 1) * dilation + 1, the input span of one window; a user error naming the node when
/// it overflows.
std::int64_t kernel_extent(const ir::Node& node, std::int64_t kernel, std::int64_t dilation);

/// The padding of a Conv or pool (what they share): explicit `pads` for NOTSET, zeros for VALID,
/// and for SAME_UPPER / SAME_LOWER the pads that make output = ceil(input / stride), the total
/// split evenly with the odd one at the end (upper) or the beginning (lower). Checks on every
/// axis that the padded input holds one kernel extent; a user error names the node and axis.
Pads resolve_window_pads(const ir::Node& node, AutoPad auto_pad,
                         const std::vector<std::int64_t>& in_spatial,
                         const std::vector<std::int64_t>& kernel,
                         const std::vector<std::int64_t>& strides,
                         const std::vector<std::int64_t>& dilations);

/// ceil(input / stride) without overflow, the output size of SAME padding.
std::int64_t same_output_size(std::int64_t input, std::int64_t stride);

/// The input's type, which must be float32 (kiln computes these ops in float32 only).
const ir::Value& require_float32_input(const ir::Node& node, std::size_t index,
                                       std::string_view what);

/// "[a,b,c]", for messages.
std::string format_ints(const std::vector<std::int64_t>& values);

}  // namespace kiln::kernels::reference
