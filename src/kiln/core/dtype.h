#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kiln {

/// Element types kiln stores. Compute is float32; the integer types and bool carry shapes,
/// indices and masks; float16 and float64 appear in files and in Cast.
enum class DType : std::uint8_t {
  kUndefined,
  kFloat32,
  kFloat16,
  kFloat64,
  kInt64,
  kInt32,
  kInt8,
  kUInt8,
  kBool,
};

/// Size of one element in bytes (0 for kUndefined).
std::size_t dtype_size(DType dtype);
/// Lower-case name as users know it: "float32", "int64", "bool", ...
std::string_view dtype_name(DType dtype);
/// Parses a dtype_name(); throws a user error naming `text` when unknown.
DType parse_dtype(std::string_view text);
bool is_floating(DType dtype);

/// Maps a C++ element type to its DType at compile time.
template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::kFloat32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::kFloat64;
}
template <>
constexpr DType dtype_of<std::int64_t>() {
  return DType::kInt64;
}
template <>
constexpr DType dtype_of<std::int32_t>() {
  return DType::kInt32;
}
template <>
constexpr DType dtype_of<std::int8_t>() {
  return DType::kInt8;
}
template <>
constexpr DType dtype_of<std::uint8_t>() {
  return DType::kUInt8;
}
template <>
constexpr DType dtype_of<bool>() {
  return DType::kBool;
}

/// IEEE 754 half-precision conversions (round to nearest even), bit-exact with numpy.
float half_to_float(std::uint16_t bits);
std::uint16_t float_to_half(float value);

}  // namespace kiln
