#include "kiln/bench/latency_statistics.h"

#include <gtest/gtest.h>

namespace kiln::bench {
namespace {

TEST(LatencyStatistics, PercentilesAreNearestRankOfMeasuredValues) {
  std::vector<double> timings;
  for (int i = 100; i >= 1; --i) timings.push_back(i);  // order must not matter
  const LatencySummary s = summarize(timings);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
  EXPECT_DOUBLE_EQ(s.p50, 50);
  EXPECT_DOUBLE_EQ(s.p90, 90);
  EXPECT_DOUBLE_EQ(s.p99, 99);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 100);
  EXPECT_NEAR(s.stddev, 29.011491975882016, 1e-12);  // sample standard deviation of 1..100
  EXPECT_NEAR(s.cv, 29.011491975882016 / 50.5, 1e-12);
}

TEST(LatencyStatistics, SmallAndEmptySets) {
  const LatencySummary one = summarize({7.5});
  EXPECT_DOUBLE_EQ(one.p50, 7.5);
  EXPECT_DOUBLE_EQ(one.p99, 7.5);
  EXPECT_DOUBLE_EQ(one.stddev, 0);
  const LatencySummary three = summarize({3, 1, 2});
  EXPECT_DOUBLE_EQ(three.p50, 2);
  EXPECT_DOUBLE_EQ(three.p90, 3);
  const LatencySummary none = summarize({});
  EXPECT_EQ(none.count, 0u);
  EXPECT_DOUBLE_EQ(none.mean, 0);
}

}  // namespace
}  // namespace kiln::bench
