#include "kiln/runtime/memory_plan.h"

#include <algorithm>
#include <numeric>

#include "kiln/core/tensor.h"

namespace kiln::runtime {

MemoryPlan plan_memory(std::span<const BufferRequest> requests) {
  auto aligned = [](std::size_t n) {
    return (n + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  };
  std::vector<std::size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return requests[a].size_bytes > requests[b].size_bytes;
  });

  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<std::size_t> placed;
  struct Interval {
    std::size_t begin, end;
  };
  std::vector<Interval> busy;
  for (std::size_t index : order) {
    const BufferRequest& request = requests[index];
    const std::size_t size = aligned(std::max<std::size_t>(request.size_bytes, 1));
    busy.clear();
    for (std::size_t other : placed) {
      const BufferRequest& o = requests[other];
      if (o.first_step <= request.last_step && request.first_step <= o.last_step) {
        busy.push_back({plan.offsets[other],
                        plan.offsets[other] + aligned(std::max<std::size_t>(o.size_bytes, 1))});
      }
    }
    std::sort(busy.begin(), busy.end(),
              [](const Interval& a, const Interval& b) { return a.begin < b.begin; });
    std::size_t offset = 0;
    for (const Interval& interval : busy) {
      if (offset + size <= interval.begin) break;
      offset = std::max(offset, interval.end);
    }
    plan.offsets[index] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size);
    placed.push_back(index);
  }
  return plan;
}

}  // namespace kiln::runtime
