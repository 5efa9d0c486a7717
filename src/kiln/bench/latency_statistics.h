// Summary statistics of a set of timings: what every kiln report prints about latency.
#pragma once

#include <cstddef>
#include <vector>

namespace kiln::bench {

/// Mean, percentiles (nearest rank), extremes and spread of `count` timings, in the unit given.
struct LatencySummary {
  std::size_t count = 0;
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double min = 0;
  double max = 0;
  double stddev = 0;  ///< sample standard deviation (n - 1)
  /// Coefficient of variation, stddev / mean: the noise of the measurement, unit-free.
  double cv = 0;
};

/// All zero for no timings.
LatencySummary summarize(std::vector<double> timings);

/// The nearest-rank percentile `p` (0..100) of sorted, non-empty `sorted_timings`.
double percentile(const std::vector<double>& sorted_timings, double p);

}  // namespace kiln::bench
