#include "kiln/core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "kiln/core/checked_arithmetic.h"

namespace kiln {

std::shared_ptr<void> allocate_aligned(std::size_t size_bytes) {
  // aligned_alloc wants a multiple of the alignment; never ask for zero bytes.
  const std::size_t rounded = std::max<std::size_t>(
      kTensorAlignment, (size_bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment);
  void* p = std::aligned_alloc(kTensorAlignment, rounded);
  if (p == nullptr) throw std::bad_alloc();
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  KILN_CHECK(dtype != DType::kUndefined, "cannot allocate a tensor of undefined dtype");
  const std::size_t bytes = checked_tensor_bytes(shape_.dims(), dtype, "cannot allocate");
  try {
    owner_ = allocate_aligned(bytes);
  } catch (const std::bad_alloc&) {
    throw_user_error("out of memory allocating {} for a {} tensor", format_byte_size(bytes),
                     description());
  }
  data_ = owner_.get();
  std::memset(data_, 0, size_bytes());
}

Tensor Tensor::view(DType dtype, Shape shape, void* data, std::shared_ptr<void> keep_alive) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.owner_ = std::move(keep_alive);
  t.data_ = data;
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  KILN_CHECK(shape.numel() == numel(), "reshape of {} to {} changes the element count",
             shape_.to_string(), shape.to_string());
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  if (empty()) return {};
  Tensor t(dtype_, shape_);
  if (size_bytes() != 0) std::memcpy(t.data_, data_, size_bytes());
  return t;
}

void Tensor::copy_from(const Tensor& src) {
  KILN_CHECK(src.dtype_ == dtype_ && src.numel() == numel(), "copy of {} into {}",
             src.description(), description());
  if (size_bytes() != 0 && src.data_ != data_) std::memmove(data_, src.data_, size_bytes());
}

namespace {
template <typename Out, typename Fn>
void convert_elements(const Tensor& t, Out* out, Fn&& fn) {
  const std::int64_t n = t.numel();
  const void* p = t.raw();
  switch (t.dtype()) {
    case DType::kFloat32:
      for (std::int64_t i = 0; i < n; ++i) out[i] = fn(static_cast<const float*>(p)[i]);
      break;
    case DType::kFloat64:
      for (std::int64_t i = 0; i < n; ++i) out[i] = fn(static_cast<const double*>(p)[i]);
      break;
    case DType::kFloat16:
      for (std::int64_t i = 0; i < n; ++i)
        out[i] = fn(half_to_float(static_cast<const std::uint16_t*>(p)[i]));
      break;
    case DType::kInt64:
      for (std::int64_t i = 0; i < n; ++i) out[i] = fn(static_cast<const std::int64_t*>(p)[i]);
      break;
    case DType::kInt32:
      for (std::int64_t i = 0; i < n; ++i) out[i] = fn(static_cast<const std::int32_t*>(p)[i]);
      break;
    case DType::kInt8:
      for (std::int64_t i = 0; i < n; ++i) out[i] = fn(static_cast<const std::int8_t*>(p)[i]);
      break;
    case DType::kUInt8:
      for (std::int64_t i = 0; i < n; ++i) out[i] = fn(static_cast<const std::uint8_t*>(p)[i]);
      break;
    case DType::kBool:
      for (std::int64_t i = 0; i < n; ++i) out[i] = fn(static_cast<const bool*>(p)[i]);
      break;
    case DType::kUndefined:
      throw_internal_error("conversion of an empty tensor");
  }
}
}  // namespace

std::vector<std::int64_t> Tensor::to_int64_vector() const {
  std::vector<std::int64_t> out(static_cast<std::size_t>(numel()));
  convert_elements(*this, out.data(), [](auto v) { return static_cast<std::int64_t>(v); });
  return out;
}

Tensor Tensor::to_float32() const {
  Tensor out(DType::kFloat32, shape_);
  convert_elements(*this, out.data<float>(), [](auto v) { return static_cast<float>(v); });
  return out;
}

std::string Tensor::description() const {
  return fmt::format("{}{}", dtype_name(dtype_), shape_.to_string());
}

void Tensor::check_dtype(DType expected) const {
  KILN_CHECK(dtype_ == expected, "tensor is {}, accessed as {}", dtype_name(dtype_),
             dtype_name(expected));
}

}  // namespace kiln
