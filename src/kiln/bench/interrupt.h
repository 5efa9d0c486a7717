// Ctrl-C for long runs: the first SIGINT/SIGTERM asks the pipeline to finish what is in flight and
// stop (finished outputs stay, nothing is half-written); a second one ends the process at once.
#pragma once

#include <atomic>

namespace kiln::bench {

/// Installs the handlers for its lifetime and restores the previous ones after.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

  /// Set by the first signal.
  const std::atomic<bool>& requested() const;
};

}  // namespace kiln::bench
