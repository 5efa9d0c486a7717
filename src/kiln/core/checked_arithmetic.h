#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kiln/core/dtype.h"

namespace kiln {

/// a * b, or a user error "{what}: a x b overflows 64 bits". Every size that comes from a file,
/// a flag or a graph goes through these, so a lying input is an error instead of a wrapped count.
std::int64_t checked_multiply(std::int64_t a, std::int64_t b, std::string_view what);
/// a + b, or a user error "{what}: a + b overflows 64 bits".
std::int64_t checked_add(std::int64_t a, std::int64_t b, std::string_view what);

/// Product of `dims` (1 for none); a user error naming `what` when a dimension is negative or
/// the product overflows.
std::int64_t checked_element_count(std::span<const std::int64_t> dims, std::string_view what);

/// The value of environment variable `variable` as a positive integer with an optional K/M/G/T
/// suffix (powers of 1024); nullopt when unset, a user error naming the variable when malformed.
std::optional<std::uint64_t> size_from_environment(const char* variable);

/// The largest single tensor kiln allocates, in bytes: KILN_MAX_TENSOR_BYTES when set (a positive
/// integer, optionally with a K/M/G/T suffix in powers of 1024; anything else is a user error),
/// else half the machine's physical memory, at most 64 GiB. It turns a batch or image size that
/// would exhaust the machine into an error before anything is allocated.
std::size_t max_tensor_bytes();

/// Element count of `dims` times the size of `dtype`; a user error naming `what`, the shape, its
/// size and the limit when that is over max_tensor_bytes().
std::size_t checked_tensor_bytes(std::span<const std::int64_t> dims, DType dtype,
                                 std::string_view what);

/// "12.0 GiB", "3.5 MiB", "512 bytes": sizes in messages.
std::string format_byte_size(std::size_t bytes);

}  // namespace kiln
