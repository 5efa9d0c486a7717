// Error collection for the parallel loops of eval: the error reported is the one of the lowest
// iteration (the first file in order), whatever the thread timing.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <limits>
#include <mutex>

namespace kiln::eval {

class FirstFailure {
 public:
  /// True when an earlier iteration already failed: later ones need not run.
  bool skip(std::size_t iteration) const {
    return iteration > index_.load(std::memory_order_relaxed);
  }
  /// Call from a catch block: keeps the exception of the lowest failing iteration.
  void record(std::size_t iteration) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (iteration < index_.load(std::memory_order_relaxed)) {
      index_.store(iteration, std::memory_order_relaxed);
      error_ = std::current_exception();
    }
  }
  /// After the loop: rethrows the kept exception, if any.
  void rethrow_if_failed() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::atomic<std::size_t> index_{std::numeric_limits<std::size_t>::max()};
  std::mutex mutex_;
  std::exception_ptr error_;
};

}  // namespace kiln::eval
