#include "kiln/core/shape.h"

#include <algorithm>

#include "kiln/core/checked_arithmetic.h"
#include "kiln/core/error.h"

namespace kiln {

std::int64_t Shape::numel() const {
  return checked_element_count(dims_, "tensor shape");
}

std::vector<std::int64_t> Shape::strides() const {
  std::vector<std::int64_t> s(dims_.size(), 1);
  for (std::size_t i = dims_.size(); i-- > 1;) s[i - 1] = s[i] * dims_[i];
  return s;
}

std::string Shape::to_string() const {
  return fmt::format("[{}]", fmt::join(dims_, ","));
}

std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, const std::string& what) {
  if (axis < -rank || axis >= std::max<std::int64_t>(rank, 1)) {
    throw_user_error("{} = {} is out of range for rank {}", what, axis, rank);
  }
  return axis < 0 ? axis + rank : axis;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.rank(), b.rank());
  std::vector<std::int64_t> out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.rank() ? 1 : a[i - (rank - a.rank())];
    const std::int64_t db = i < rank - b.rank() ? 1 : b[i - (rank - b.rank())];
    if (da != db && da != 1 && db != 1) {
      throw_user_error("shapes {} and {} cannot be broadcast together", a.to_string(),
                       b.to_string());
    }
    out[i] = da == 1 ? db : da;
  }
  return Shape(std::move(out));
}

}  // namespace kiln
