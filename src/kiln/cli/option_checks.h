// Checks of numeric command-line options with messages that name the valid range, instead of
// CLI11's built-in ones ("Value 0 not in range 0.000000 to 1.797...e308").
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>

namespace kiln::cli {

/// A whole number from `min` to `max`; CLI11 prefixes the flag: "--batch: 0 is not ...".
CLI::Validator integer_in_range(std::int64_t min,
                                std::int64_t max = std::numeric_limits<std::int32_t>::max());

/// A finite number greater than zero (rejects nan, inf, 0 and negatives).
CLI::Validator positive_finite();

/// `requested` threads (0: every core) as a count this machine can run: at most its logical
/// cores, with a one-line warning on stderr naming `option` when the request was larger.
int bounded_thread_count(int requested, const char* option = "--threads");

}  // namespace kiln::cli
