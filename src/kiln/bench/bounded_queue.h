// A blocking queue of fixed capacity between two pipeline stages: a fast producer waits instead
// of filling memory, and either side can end the pipeline (close: no more items; cancel: stop now).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace kiln::bench {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  /// Waits for room, then appends. Returns false (dropping `item`) once the queue is cancelled.
  bool push(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return cancelled_ || items_.size() < capacity_; });
    if (cancelled_) return false;
    items_.push_back(std::move(item));
    if (items_.size() > peak_size_) peak_size_ = items_.size();
    not_empty_.notify_one();
    return true;
  }

  /// Waits for an item. Returns nothing when the queue is closed and drained, or cancelled.
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return cancelled_ || closed_ || !items_.empty(); });
    if (cancelled_ || items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  /// The producer is done: consumers drain what is left, then pop() returns nothing.
  void close() {
    const std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
  }

  /// Ends the pipeline now (an error elsewhere): waiting pushes and pops return at once and
  /// queued items are dropped.
  void cancel() {
    const std::lock_guard lock(mutex_);
    cancelled_ = true;
    items_.clear();
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  std::size_t capacity() const { return capacity_; }
  /// The most items the queue ever held: never more than capacity().
  std::size_t peak_size() const {
    const std::lock_guard lock(mutex_);
    return peak_size_;
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> items_;
  std::size_t peak_size_ = 0;
  bool closed_ = false;
  bool cancelled_ = false;
};

}  // namespace kiln::bench
