#include "kiln/ir/attribute.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace kiln::ir {

namespace {
template <class... Fns>
struct Overloaded : Fns... {
  using Fns::operator()...;
};
template <class... Fns>
Overloaded(Fns...) -> Overloaded<Fns...>;
}  // namespace

std::string_view attribute_type_name(const Attribute& attribute) {
  static constexpr std::string_view kNames[] = {"int",    "float",   "string", "ints",
                                                "floats", "strings", "tensor"};
  return kNames[attribute.index()];
}

std::string format_attribute(const Attribute& attribute) {
  return std::visit(
      Overloaded{
          [](std::int64_t v) { return fmt::format("{}", v); },
          [](float v) { return fmt::format("{}", v); },
          [](const std::string& v) { return fmt::format("\"{}\"", v); },
          [](const std::vector<std::int64_t>& v) { return fmt::format("[{}]", fmt::join(v, ",")); },
          [](const std::vector<float>& v) { return fmt::format("[{}]", fmt::join(v, ",")); },
          [](const std::vector<std::string>& v) {
            return fmt::format("[\"{}\"]", fmt::join(v, "\",\""));
          },
          [](const Tensor& v) { return v.description(); },
      },
      attribute);
}

}  // namespace kiln::ir
