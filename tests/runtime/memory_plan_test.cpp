#include "kiln/runtime/memory_plan.h"

#include <gtest/gtest.h>

#include <random>

namespace kiln::runtime {
namespace {

bool overlaps_in_time(const BufferRequest& a, const BufferRequest& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

void expect_valid(const std::vector<BufferRequest>& requests, const MemoryPlan& plan) {
  ASSERT_EQ(plan.offsets.size(), requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % 64, 0u);
    EXPECT_LE(plan.offsets[i] + requests[i].size_bytes, plan.arena_bytes);
    for (std::size_t j = i + 1; j < requests.size(); ++j) {
      if (!overlaps_in_time(requests[i], requests[j])) continue;
      const bool disjoint = plan.offsets[i] + requests[i].size_bytes <= plan.offsets[j] ||
                            plan.offsets[j] + requests[j].size_bytes <= plan.offsets[i];
      EXPECT_TRUE(disjoint) << "buffers " << i << " and " << j << " overlap";
    }
  }
}

TEST(MemoryPlan, ChainReusesMemory) {
  // A chain a -> b -> c -> d: only neighbours live together, so two slots suffice.
  std::vector<BufferRequest> chain = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
  MemoryPlan plan = plan_memory(chain);
  expect_valid(chain, plan);
  EXPECT_EQ(plan.arena_bytes, 2048u);  // two 1024-byte aligned slots, not four
}

TEST(MemoryPlan, AllLiveAtOnceNeedsTheSum) {
  std::vector<BufferRequest> requests = {{64, 0, 5}, {128, 0, 5}, {64, 0, 5}};
  MemoryPlan plan = plan_memory(requests);
  expect_valid(requests, plan);
  EXPECT_EQ(plan.arena_bytes, 256u);
}

TEST(MemoryPlan, RandomLifetimesNeverOverlap) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<BufferRequest> requests;
    for (int i = 0; i < 40; ++i) {
      const std::size_t first = rng() % 30;
      requests.push_back({1 + rng() % 5000, first, first + rng() % 8});
    }
    expect_valid(requests, plan_memory(requests));
  }
}

TEST(MemoryPlan, Empty) {
  EXPECT_EQ(plan_memory({}).arena_bytes, 0u);
}

}  // namespace
}  // namespace kiln::runtime
