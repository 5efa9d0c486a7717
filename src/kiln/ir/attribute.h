#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "kiln/core/tensor.h"

namespace kiln::ir {

/// An attribute value, as ONNX has them (graphs excepted: kiln supports no control flow).
using Attribute = std::variant<std::int64_t, float, std::string, std::vector<std::int64_t>,
                               std::vector<float>, std::vector<std::string>, Tensor>;

/// Attributes by name; ordered so printing and serialisation are deterministic.
using Attributes = std::map<std::string, Attribute, std::less<>>;

/// "int", "float", "string", "ints", "floats", "strings", "tensor".
std::string_view attribute_type_name(const Attribute& attribute);
/// A short readable rendering, e.g. "[1,1]" or "0.5" or "float32[64]".
std::string format_attribute(const Attribute& attribute);

}  // namespace kiln::ir
