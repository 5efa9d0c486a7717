#include "kiln/kernels/reference/broadcast.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>

#include "kiln/core/error.h"
#include "kiln/kernels/kernel.h"

namespace kiln::kernels::reference {

Shape broadcast_input_shapes(const ir::Node& node, std::size_t first, std::size_t count) {
  Shape out;
  bool any = false;
  for (std::size_t i = first; i < first + count; ++i) {
    if (node.input(i) == nullptr) continue;
    const Shape& shape = require_input(node, i, "operand").shape();
    if (!any) {
      out = shape;
      any = true;
      continue;
    }
    const std::size_t rank = std::max(out.rank(), shape.rank());
    std::vector<std::int64_t> dims(rank);
    for (std::size_t d = 0; d < rank; ++d) {
      const std::int64_t a = d < rank - out.rank() ? 1 : out[d - (rank - out.rank())];
      const std::int64_t b = d < rank - shape.rank() ? 1 : shape[d - (rank - shape.rank())];
      if (a != b && a != 1 && b != 1) {
        std::vector<std::string> shapes;
        for (std::size_t j = first; j < first + count; ++j) {
          const ir::Value* value = node.input(j);
          shapes.push_back(value == nullptr ? "absent" : value->shape().to_string());
        }
        throw_user_error(
            "{}: input shapes {} cannot be broadcast together (input {} has {} in dimension {} "
            "from the end where the inputs before it have {})",
            node.describe(), fmt::join(shapes, ", "), i, b, rank - d, a);
      }
      dims[d] = a == 1 ? b : a;
    }
    out = Shape(std::move(dims));
  }
  return out;
}

bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.rank() > to.rank()) return false;
  const std::size_t lead = to.rank() - from.rank();
  for (std::size_t d = 0; d < from.rank(); ++d) {
    if (from[d] != 1 && from[d] != to[lead + d]) return false;
  }
  return true;
}

BroadcastPlan::BroadcastPlan(const Shape& out, std::span<const Shape> inputs)
    : input_count_(inputs.size()), numel_(out.numel()) {
  KILN_CHECK(inputs.size() <= kMaxInputs, "a broadcast of {} inputs (at most {})", inputs.size(),
             kMaxInputs);
  const std::size_t rank = out.rank();
  // Per output dimension, whether each input spans it (true) or is broadcast over it (false).
  struct Dim {
    std::int64_t size;
    std::array<bool, kMaxInputs> spans;
  };
  std::vector<Dim> merged;
  for (std::size_t d = 0; d < rank; ++d) {
    if (out[d] == 1) continue;  // contributes no index arithmetic to anyone
    Dim dim{out[d], {}};
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Shape& in = inputs[i];
      KILN_CHECK(in.rank() <= rank, "input {} of a broadcast has rank {} above the output's {}", i,
                 in.rank(), rank);
      const std::size_t lead = rank - in.rank();
      const std::int64_t in_dim = d < lead ? 1 : in[d - lead];
      KILN_CHECK(in_dim == out[d] || in_dim == 1, "input {} shape {} does not broadcast to {}", i,
                 in.to_string(), out.to_string());
      dim.spans[i] = in_dim != 1;
    }
    if (!merged.empty() && merged.back().spans == dim.spans) {
      merged.back().size *= dim.size;
    } else {
      merged.push_back(dim);
    }
  }
  if (merged.empty()) merged.push_back(Dim{1, {}});  // a one-element output

  dims_.clear();
  for (const Dim& dim : merged) dims_.push_back(dim.size);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    std::vector<std::int64_t>& strides = strides_[i];
    strides.assign(merged.size(), 0);
    std::int64_t step = 1;
    for (std::size_t d = merged.size(); d-- > 0;) {
      if (merged[d].spans[i]) {
        strides[d] = step;
        step *= merged[d].size;
      }
    }
  }
}

void BroadcastPlan::row_offsets(std::int64_t row,
                                std::array<std::int64_t, kMaxInputs>& offsets) const {
  offsets.fill(0);
  // Peel the outer merged dimensions off the row index, innermost first.
  for (std::size_t d = dims_.size() - 1; d-- > 0 && row > 0;) {
    const std::int64_t index = row % dims_[d];
    row /= dims_[d];
    for (std::size_t i = 0; i < input_count_; ++i) offsets[i] += index * strides_[i][d];
  }
}

}  // namespace kiln::kernels::reference
