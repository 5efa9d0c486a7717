#include "kiln/bench/latency_statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kiln::bench {

double percentile(const std::vector<double>& sorted_timings, double p) {
  // Nearest rank: the smallest value with at least p% of the timings at or below it. Never
  // interpolates, so every reported percentile is a latency that was really measured.
  const double n = static_cast<double>(sorted_timings.size());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
  return sorted_timings[std::clamp<std::size_t>(rank, 1, sorted_timings.size()) - 1];
}

LatencySummary summarize(std::vector<double> timings) {
  LatencySummary s;
  s.count = timings.size();
  if (timings.empty()) return s;
  std::sort(timings.begin(), timings.end());
  const double n = static_cast<double>(timings.size());
  s.mean = std::accumulate(timings.begin(), timings.end(), 0.0) / n;
  s.p50 = percentile(timings, 50);
  s.p90 = percentile(timings, 90);
  s.p99 = percentile(timings, 99);
  s.min = timings.front();
  s.max = timings.back();
  if (timings.size() > 1) {
    double squares = 0;
    for (double t : timings) squares += (t - s.mean) * (t - s.mean);
    s.stddev = std::sqrt(squares / (n - 1));
  }
  s.cv = s.mean > 0 ? s.stddev / s.mean : 0;
  return s;
}

}  // namespace kiln::bench
