#include "kiln/ir/window_attributes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kiln/core/error.h"

namespace kiln::ir {

std::optional<std::int64_t> window_attribute_minimum(std::string_view attribute) {
  if (attribute == "strides" || attribute == "dilations" || attribute == "kernel_shape") return 1;
  if (attribute == "pads" || attribute == "output_padding") return 0;
  return std::nullopt;
}

bool has_window_attributes(std::string_view op_type) {
  return op_type == "Conv" || op_type == "ConvTranspose" || op_type == "MaxPool" ||
         op_type == "AveragePool" || op_type == "LpPool";
}

void check_window_attribute(std::string_view owner, std::string_view attribute,
                            std::span<const std::int64_t> values) {
  const std::optional<std::int64_t> minimum = window_attribute_minimum(attribute);
  if (!minimum) return;
  for (std::int64_t v : values) {
    if (v >= *minimum) continue;
    if (*minimum == 0) {
      throw_user_error("{}: attribute '{}' = [{}] has a negative value", owner, attribute,
                       fmt::join(values, ","));
    }
    throw_user_error("{}: attribute '{}' = [{}] has a value below {}", owner, attribute,
                     fmt::join(values, ","), *minimum);
  }
}

}  // namespace kiln::ir
