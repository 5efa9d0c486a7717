#pragma once

// Numpy broadcasting: shape inference that names the node, and the index arithmetic that maps
// output elements onto the elements of broadcast inputs.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "kiln/core/shape.h"
#include "kiln/ir/graph.h"

namespace kiln::kernels::reference {

/// The numpy broadcast of the shapes of the node's inputs `first .. first + count - 1` (absent
/// optional inputs are skipped). Throws a user error naming the node, the inputs and the
/// dimension that disagree.
Shape broadcast_input_shapes(const ir::Node& node, std::size_t first, std::size_t count);

/// Whether `from` broadcasts to exactly `to` (ONNX's unidirectional broadcasting: PRelu's slope,
/// LayerNormalization's scale).
bool broadcasts_to(const Shape& from, const Shape& to);

/// How the elements of up to kMaxInputs inputs map onto their broadcast output. The shapes are
/// reduced to as few dimensions as possible first: size-1 output dimensions vanish and adjacent
/// dimensions merge when every input either spans both or broadcasts over both, so
/// [N,C,H,W] + [C,1,1] becomes [N, C, H*W] with strides [C*HW, HW, 1] and [0, 1, 0]. The output
/// is then walked as rows of the innermost merged dimension, along which every input advances
/// by 1 element (it spans the row) or by 0 (it is broadcast over the row): the case a vector
/// loop wants.
class BroadcastPlan {
 public:
  static constexpr std::size_t kMaxInputs = 4;

  BroadcastPlan() = default;
  /// `inputs` must each broadcast to `out` (checked by the caller's shape inference).
  BroadcastPlan(const Shape& out, std::span<const Shape> inputs);

  std::size_t input_count() const { return input_count_; }
  std::int64_t numel() const { return numel_; }
  /// Elements in one row (the innermost merged dimension).
  std::int64_t row_length() const { return dims_.back(); }
  /// How far input `i` advances per output element along a row: 1 or 0.
  std::int64_t row_stride(std::size_t i) const { return strides_[i].back(); }
  /// The merged output dimensions and each input's strides over them (0 where broadcast).
  const std::vector<std::int64_t>& dims() const { return dims_; }
  const std::vector<std::int64_t>& strides(std::size_t i) const { return strides_[i]; }

  /// Calls `run(out_offset, in_offsets, count)` for consecutive runs of output elements that
  /// cover [begin, end) in order; each run lies within one row, so input i's elements are
  /// in_offsets[i] + k * row_stride(i) for k < count.
  template <typename RunFn>
  void for_each_run(std::int64_t begin, std::int64_t end, RunFn&& run) const {
    const std::int64_t length = row_length();
    std::array<std::int64_t, kMaxInputs> offsets{};
    std::int64_t pos = begin;
    while (pos < end) {
      const std::int64_t row = pos / length;
      const std::int64_t column = pos - row * length;
      row_offsets(row, offsets);
      for (std::size_t i = 0; i < input_count_; ++i) offsets[i] += column * row_stride(i);
      const std::int64_t count = std::min(length - column, end - pos);
      run(pos, offsets.data(), count);
      pos += count;
    }
  }

 private:
  // Offsets of the first element of output row `row` in every input.
  void row_offsets(std::int64_t row, std::array<std::int64_t, kMaxInputs>& offsets) const;

  std::size_t input_count_ = 0;
  std::int64_t numel_ = 0;
  std::vector<std::int64_t> dims_{1};
  std::array<std::vector<std::int64_t>, kMaxInputs> strides_;
};

}  // namespace kiln::kernels::reference
