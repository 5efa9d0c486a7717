#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace kiln {

/// Dimensions of a tensor, outermost first. All dimensions are concrete: kiln compiles for fixed
/// input shapes, so every shape in a compiled graph is known.
class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<std::int64_t> dims) : dims_(std::move(dims)) {}
  explicit Shape(std::span<const std::int64_t> dims) : dims_(dims.begin(), dims.end()) {}

  std::size_t rank() const { return dims_.size(); }
  std::int64_t operator[](std::size_t i) const { return dims_[i]; }
  std::int64_t& operator[](std::size_t i) { return dims_[i]; }
  const std::vector<std::int64_t>& dims() const { return dims_; }
  std::vector<std::int64_t>& dims() { return dims_; }

  /// Product of all dimensions; 1 for a scalar (rank 0). A user error when a dimension is
  /// negative or the product overflows (shapes come from files and graphs).
  std::int64_t numel() const;
  /// Row-major strides in elements.
  std::vector<std::int64_t> strides() const;
  /// "[1,3,224,224]"; "[]" for a scalar.
  std::string to_string() const;

  bool operator==(const Shape& other) const = default;

 private:
  std::vector<std::int64_t> dims_;
};

/// Normalises a possibly negative axis against `rank`; throws a user error when out of range.
/// `what` names the offender for the message, e.g. "Softmax node 'sm' attribute axis".
std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, const std::string& what);

/// Numpy-style multidirectional broadcast of two shapes; throws a user error when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b);

}  // namespace kiln
