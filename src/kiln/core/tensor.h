#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "kiln/core/dtype.h"
#include "kiln/core/error.h"
#include "kiln/core/shape.h"

namespace kiln {

/// Alignment of every buffer kiln allocates: one cache line, what vector kernels want.
inline constexpr std::size_t kTensorAlignment = 64;

/// A dense row-major tensor: dtype, shape and a pointer to the elements. It either owns a 64-byte
/// aligned buffer (shared between copies of the Tensor object, like a shared_ptr) or is a view
/// into memory someone else keeps alive (an arena, an mmap'd file, a user's buffer). Copying a
/// Tensor never copies elements; use clone() for that.
class Tensor {
 public:
  /// An empty tensor: no dtype, no data. Stands for an absent optional input.
  Tensor() = default;
  /// Allocates a zero-filled, owned tensor.
  Tensor(DType dtype, Shape shape);
  /// Wraps external memory without owning it. `keep_alive` (may be null) is held by the tensor.
  static Tensor view(DType dtype, Shape shape, void* data, std::shared_ptr<void> keep_alive = {});

  bool empty() const { return dtype_ == DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  std::int64_t numel() const { return shape_.numel(); }
  std::size_t size_bytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype_); }

  void* raw() { return data_; }
  const void* raw() const { return data_; }

  /// Typed access; checks the dtype (an internal error if kiln asks for the wrong one).
  template <typename T>
  T* data() {
    check_dtype(dtype_of<T>());
    return static_cast<T*>(data_);
  }
  template <typename T>
  const T* data() const {
    check_dtype(dtype_of<T>());
    return static_cast<const T*>(data_);
  }
  template <typename T>
  std::span<T> span() {
    return {data<T>(), static_cast<std::size_t>(numel())};
  }
  template <typename T>
  std::span<const T> span() const {
    return {data<T>(), static_cast<std::size_t>(numel())};
  }

  /// Points this view at other memory of the same size (used to bind a session's inputs and
  /// outputs to the caller's buffers on each run without allocating).
  void rebind(void* data) { data_ = data; }

  /// Same elements, another shape of the same element count (a view sharing ownership).
  Tensor reshaped(Shape shape) const;
  /// A deep copy into a fresh owned buffer.
  Tensor clone() const;
  /// Copies elements from `src`, which must have the same dtype and element count.
  void copy_from(const Tensor& src);

  /// Converts any numeric tensor to int64 values (for shape arithmetic on constants).
  std::vector<std::int64_t> to_int64_vector() const;
  /// Converts any numeric tensor to a new float32 tensor.
  Tensor to_float32() const;

  /// "float32[1,3,224,224]".
  std::string description() const;

 private:
  void check_dtype(DType expected) const;

  DType dtype_ = DType::kUndefined;
  Shape shape_;
  std::shared_ptr<void> owner_;
  void* data_ = nullptr;
};

/// Allocates `size_bytes` aligned to kTensorAlignment; freed when the last shared_ptr goes.
std::shared_ptr<void> allocate_aligned(std::size_t size_bytes);

}  // namespace kiln
