#include "kiln/bench/interrupt.h"

#include <csignal>

namespace kiln::bench {

namespace {

std::atomic<bool> interrupt_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free,
              "a signal handler may only touch lock-free atomics");

struct sigaction previous_int {};
struct sigaction previous_term {};

extern "C" void on_interrupt(int signal) {
  if (interrupt_requested.exchange(true)) {
    // Second signal: the user wants out now. Default action, then re-raise.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}

}  // namespace

InterruptScope::InterruptScope() {
  interrupt_requested = false;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_int);
  sigaction(SIGTERM, &action, &previous_term);
}

InterruptScope::~InterruptScope() {
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
}

const std::atomic<bool>& InterruptScope::requested() const {
  return interrupt_requested;
}

}  // namespace kiln::bench
