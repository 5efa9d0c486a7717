#include <fmt/format.h>

#include "kiln/kernels/reference/families.h"
#include "kiln/kernels/reference/tensor_ops.h"

namespace kiln::kernels::reference {

void define_tensor_ops(OpDefinitionTable& table) {
  define_reshape_ops(table);
  define_generate_ops(table);
  define_concat_split_ops(table);
  define_transpose_ops(table);
  define_slice_ops(table);
  define_pad_ops(table);
  define_gather_ops(table);
  define_expand_tile_ops(table);
}

std::vector<std::int64_t> constant_ints(const ir::Node& node, std::size_t index,
                                        std::string_view what) {
  const Tensor& data = require_constant_input(node, index, what);
  if (data.dtype() != DType::kInt64 && data.dtype() != DType::kInt32) {
    throw_user_error("{}: input {} ({}) must be int64 or int32, got {}", node.describe(), index,
                     what, data.description());
  }
  if (data.shape().rank() > 1) {
    throw_user_error("{}: input {} ({}) must be a 1-D list, got {}", node.describe(), index, what,
                     data.description());
  }
  return data.to_int64_vector();
}

std::optional<std::vector<std::int64_t>> optional_constant_ints(const ir::Node& node,
                                                                std::size_t index,
                                                                std::string_view what) {
  if (node.input(index) == nullptr) return std::nullopt;
  return constant_ints(node, index, what);
}

std::int64_t node_axis(const ir::Node& node, std::int64_t axis, std::int64_t rank,
                       std::string_view what) {
  if (axis < -rank || axis >= rank) {
    throw_user_error("{}: {} = {} is out of range for rank {} (allowed {}..{})", node.describe(),
                     what, axis, rank, -rank, rank - 1);
  }
  return axis < 0 ? axis + rank : axis;
}

std::vector<std::int64_t> node_axes(const ir::Node& node, const std::vector<std::int64_t>& axes,
                                    std::int64_t rank, std::string_view what) {
  std::vector<std::int64_t> normalized;
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const std::int64_t axis = node_axis(node, axes[i], rank, fmt::format("{}[{}]", what, i));
    if (seen[static_cast<std::size_t>(axis)]) {
      throw_user_error("{}: {} {} names axis {} twice", node.describe(), what,
                       fmt::format("[{}]", fmt::join(axes, ",")), axis);
    }
    seen[static_cast<std::size_t>(axis)] = true;
    normalized.push_back(axis);
  }
  return normalized;
}

void require_same_dtype(const ir::Node& node, std::size_t first, std::size_t last) {
  const DType dtype = require_input(node, first, "data").dtype();
  for (std::size_t i = first + 1; i <= last; ++i) {
    const ir::Value& value = require_input(node, i, "data");
    if (value.dtype() != dtype) {
      throw_user_error("{}: input {} is {} but input {} is {}; all must have the same dtype",
                       node.describe(), i, dtype_name(value.dtype()), first, dtype_name(dtype));
    }
  }
}

void require_output_count(const ir::Node& node, std::size_t count) {
  if (node.output_count() != count) {
    throw_user_error("{}: has {} outputs, expected {}", node.describe(), node.output_count(),
                     count);
  }
}

}  // namespace kiln::kernels::reference
