#include "kiln/cli/option_checks.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "kiln/bench/system_info.h"

namespace kiln::cli {

CLI::Validator integer_in_range(std::int64_t min, std::int64_t max) {
  const std::string range = fmt::format("an integer from {} to {}", min, max);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        std::int64_t value = 0;
        const char* first = text.data();
        const char* last = first + text.size();
        if (first != last && *first == '+') ++first;
        const auto [end, error] = std::from_chars(first, last, value);
        if (error != std::errc() || end != last || value < min || value > max) {
          return fmt::format("'{}' is not {}", text, range);
        }
        return {};
      },
      range);
}

CLI::Validator positive_finite() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::size_t used = 0;
        double value = 0;
        try {
          value = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != text.size() || !std::isfinite(value) || value <= 0) {
          return fmt::format("'{}' is not a finite number greater than 0", text);
        }
        return {};
      },
      "a finite number > 0");
}

int bounded_thread_count(int requested, const char* option) {
  const int cores = bench::logical_cores();
  if (requested <= cores) return requested;
  std::fprintf(stderr, "kiln: warning: %s %d is more than the %d logical cores; using %d\n", option,
               requested, cores, cores);
  return cores;
}

}  // namespace kiln::cli
