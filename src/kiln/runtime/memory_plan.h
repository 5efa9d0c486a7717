#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace kiln::runtime {

/// A buffer the plan must place: its size and the steps (inclusive) during which it is live.
struct BufferRequest {
  std::size_t size_bytes = 0;
  std::size_t first_step = 0;
  std::size_t last_step = 0;
};

struct MemoryPlan {
  std::vector<std::size_t> offsets;  ///< one per request, 64-byte aligned
  std::size_t arena_bytes = 0;
};

/// Places every buffer in one arena so that buffers live at the same time never overlap.
/// Greedy by size, largest first, each at the lowest offset that fits between the buffers
/// already placed whose lifetimes intersect it.
MemoryPlan plan_memory(std::span<const BufferRequest> requests);

}  // namespace kiln::runtime
