#include "kiln/bench/bounded_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace kiln::bench {
namespace {

using namespace std::chrono_literals;

TEST(BoundedQueue, AFastProducerWaitsForASlowConsumer) {
  BoundedQueue<int> queue(2);
  std::thread producer([&] {
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(queue.push(i));
    queue.close();
  });
  std::vector<int> seen;
  while (std::optional<int> item = queue.pop()) {
    seen.push_back(*item);
    std::this_thread::sleep_for(1ms);
  }
  producer.join();
  ASSERT_EQ(seen.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);  // in order
  EXPECT_EQ(queue.peak_size(), 2u);  // full, never fuller
}

TEST(BoundedQueue, CloseLetsConsumersDrainThenEnd) {
  BoundedQueue<int> queue(4);
  queue.push(1);
  queue.push(2);
  queue.close();
  EXPECT_EQ(queue.pop(), 1);
  EXPECT_EQ(queue.pop(), 2);
  EXPECT_EQ(queue.pop(), std::nullopt);
}

TEST(BoundedQueue, CancelReleasesAWaitingProducerAndConsumer) {
  BoundedQueue<int> full(1);
  full.push(0);
  auto blocked_push = std::async(std::launch::async, [&] { return full.push(1); });
  BoundedQueue<int> empty(1);
  auto blocked_pop = std::async(std::launch::async, [&] { return empty.pop(); });
  EXPECT_EQ(blocked_push.wait_for(50ms), std::future_status::timeout);  // really waiting
  full.cancel();
  empty.cancel();
  ASSERT_EQ(blocked_push.wait_for(10s), std::future_status::ready);
  ASSERT_EQ(blocked_pop.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(blocked_push.get());
  EXPECT_EQ(blocked_pop.get(), std::nullopt);
  EXPECT_EQ(full.pop(), std::nullopt);  // cancelled items are dropped
}

}  // namespace
}  // namespace kiln::bench
