#pragma once

// Helpers for the reference sliding-window loops (convolutions and pools): geometry padded to
// three spatial axes so one loop nest serves 1-D, 2-D and 3-D, and the range of window positions
// whose tap stays inside the input.

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace kiln::kernels::reference {

/// A spatial vector of 1 to 3 entries, left-padded with `fill` to (depth, height, width).
inline std::array<std::int64_t, 3> to_3d(const std::vector<std::int64_t>& values,
                                         std::int64_t fill) {
  std::array<std::int64_t, 3> out = {fill, fill, fill};
  std::copy(values.begin(), values.end(), out.begin() + (3 - values.size()));
  return out;
}

/// The positions i in [0, count) with 0 <= i * stride - pad + offset < limit, as [lo, hi).
/// For a convolution: count outputs, limit inputs, offset = k * dilation of one kernel tap.
/// For a transposed convolution the roles of inputs and outputs swap.
struct IndexRange {
  std::int64_t lo;
  std::int64_t hi;
};
inline IndexRange valid_range(std::int64_t limit, std::int64_t count, std::int64_t stride,
                              std::int64_t pad, std::int64_t offset) {
  const std::int64_t low_bound = pad - offset;               // i * stride >= low_bound
  const std::int64_t high_bound = limit - 1 + pad - offset;  // i * stride <= high_bound
  if (high_bound < 0) return {0, 0};
  const std::int64_t lo = low_bound <= 0 ? 0 : (low_bound + stride - 1) / stride;
  const std::int64_t hi = std::min(count, high_bound / stride + 1);
  return {std::min(lo, hi), hi};
}

}  // namespace kiln::kernels::reference
