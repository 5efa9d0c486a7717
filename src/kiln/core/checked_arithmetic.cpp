#include "kiln/core/checked_arithmetic.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>

#include "kiln/core/error.h"

namespace kiln {
namespace {

constexpr std::size_t kGiB = std::size_t{1} << 30;
// Without sysconf's answer, assume a small machine rather than none.
constexpr std::size_t kFallbackLimit = 4 * kGiB;
constexpr std::size_t kDefaultCap = 64 * kGiB;

std::size_t default_max_tensor_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return kFallbackLimit;
  const auto physical = static_cast<unsigned __int128>(pages) * static_cast<unsigned>(page_size);
  return static_cast<std::size_t>(std::min<unsigned __int128>(physical / 2, kDefaultCap));
}

}  // namespace

std::int64_t checked_multiply(std::int64_t a, std::int64_t b, std::string_view what) {
  std::int64_t result = 0;
  if (__builtin_mul_overflow(a, b, &result)) {
    throw_user_error("{}: {} x {} overflows 64 bits", what, a, b);
  }
  return result;
}

std::int64_t checked_add(std::int64_t a, std::int64_t b, std::string_view what) {
  std::int64_t result = 0;
  if (__builtin_add_overflow(a, b, &result)) {
    throw_user_error("{}: {} + {} overflows 64 bits", what, a, b);
  }
  return result;
}

std::int64_t checked_element_count(std::span<const std::int64_t> dims, std::string_view what) {
  for (std::int64_t d : dims) {
    if (d < 0)
      throw_user_error("{}: dimension {} in [{}] is negative", what, d, fmt::join(dims, ","));
  }
  std::int64_t count = 1;
  for (std::int64_t d : dims) {
    if (__builtin_mul_overflow(count, d, &count)) {
      throw_user_error("{}: the element count of shape [{}] overflows 64 bits", what,
                       fmt::join(dims, ","));
    }
  }
  return count;
}

std::optional<std::uint64_t> size_from_environment(const char* variable) {
  const char* set = std::getenv(variable);
  if (set == nullptr) return std::nullopt;
  const std::string_view text(set);
  const auto bad = [&]() -> std::uint64_t {
    throw_user_error("{}='{}' is not a positive count (e.g. 8589934592 or 8G)", variable, text);
  };
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || value == 0) return bad();
  const std::string_view suffix(end, text.data() + text.size() - end);
  int shift = 0;
  if (suffix == "K") {
    shift = 10;
  } else if (suffix == "M") {
    shift = 20;
  } else if (suffix == "G") {
    shift = 30;
  } else if (suffix == "T") {
    shift = 40;
  } else if (!suffix.empty()) {
    return bad();
  }
  if (value > (UINT64_MAX >> shift)) return bad();
  return value << shift;
}

std::size_t max_tensor_bytes() {
  return size_from_environment("KILN_MAX_TENSOR_BYTES").value_or(default_max_tensor_bytes());
}

std::size_t checked_tensor_bytes(std::span<const std::int64_t> dims, DType dtype,
                                 std::string_view what) {
  const std::int64_t count = checked_element_count(dims, what);
  const std::size_t limit = max_tensor_bytes();
  const auto bytes = static_cast<unsigned __int128>(count) * dtype_size(dtype);
  if (bytes > limit) {
    const std::string size = bytes > SIZE_MAX ? std::string("more than 16 EiB")
                                              : format_byte_size(static_cast<std::size_t>(bytes));
    throw_user_error(
        "{}: a {} tensor of shape [{}] needs {}, over the limit of {} on one tensor (set "
        "KILN_MAX_TENSOR_BYTES to raise it)",
        what, dtype_name(dtype), fmt::join(dims, ","), size, format_byte_size(limit));
  }
  return static_cast<std::size_t>(bytes);
}

std::string format_byte_size(std::size_t bytes) {
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  if (bytes >= kGiB) return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / kGiB);
  if (bytes >= kMiB) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / kMiB);
  return fmt::format("{} bytes", bytes);
}

}  // namespace kiln
