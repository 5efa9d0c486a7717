#include "kiln/ir/op_kind.h"

#include <algorithm>

namespace kiln::ir {

std::optional<OpKind> find_op(std::string_view name) {
  // The table is sorted by name (checked at compile time), so binary search works.
  auto it = std::lower_bound(kOpTable.begin(), kOpTable.end(), name,
                             [](const OpInfo& info, std::string_view n) { return info.name < n; });
  if (it != kOpTable.end() && it->name == name) return it->kind;
  return std::nullopt;
}

}  // namespace kiln::ir
