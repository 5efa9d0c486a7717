#include "kiln/kernels/reference/elementwise_common.h"

#include <algorithm>

#include "kiln/core/error.h"

namespace kiln::kernels::reference {

std::string dtype_list(std::initializer_list<DType> dtypes) {
  std::string text;
  std::size_t i = 0;
  for (DType dtype : dtypes) {
    if (i > 0) text += i + 1 == dtypes.size() ? " or " : ", ";
    text += dtype_name(dtype);
    ++i;
  }
  return text;
}

const ir::Value& require_input_dtype(const ir::Node& node, std::size_t index, std::string_view what,
                                     std::initializer_list<DType> allowed) {
  const ir::Value& value = require_input(node, index, what);
  if (std::find(allowed.begin(), allowed.end(), value.dtype()) == allowed.end()) {
    throw_user_error("{}: input {} ({}, '{}') is {}; {} supports {}", node.describe(), index, what,
                     value.name(), dtype_name(value.dtype()), node.op_name(), dtype_list(allowed));
  }
  return value;
}

void require_input_count(const ir::Node& node, std::size_t min, std::size_t max) {
  const std::size_t count = node.input_count();
  if (count < min || count > max) {
    if (min == max) {
      throw_user_error("{}: expects {} input{}, got {}", node.describe(), min, min == 1 ? "" : "s",
                       count);
    }
    throw_user_error("{}: expects {} to {} inputs, got {}", node.describe(), min, max, count);
  }
}

bool flag_attribute(const ir::Node& node, std::string_view name, bool fallback) {
  const std::int64_t value = node.attr_int(name, fallback ? 1 : 0);
  if (value != 0 && value != 1) {
    throw_user_error("{}: attribute {} is {}; expected 0 or 1", node.describe(), name, value);
  }
  return value == 1;
}

std::int64_t axis_attribute(const ir::Node& node, std::string_view name, std::int64_t fallback,
                            std::int64_t rank) {
  const std::int64_t axis = node.attr_int(name, fallback);
  if (rank < 1) {
    throw_user_error("{}: needs an input of rank 1 or more to take attribute {} = {}",
                     node.describe(), name, axis);
  }
  return normalize_axis(axis, rank, fmt::format("{}: attribute {}", node.describe(), name));
}

}  // namespace kiln::kernels::reference
