// Progress of a long run: a bar with rate and ETA redrawn in place on a terminal, a plain line
// every few seconds otherwise (logs, CI), nothing with --quiet.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace kiln::bench {

class ProgressDisplay {
 public:
  enum class Mode { kBar, kLines, kQuiet };
  /// kBar when `stream` is a terminal, else kLines; kQuiet when `quiet`.
  static Mode mode_for(std::FILE* stream, bool quiet);

  ProgressDisplay(std::FILE* stream, Mode mode, std::string label,
                  double line_interval_seconds = 5);
  /// Reports `done` of `total` samples after `elapsed_seconds`.
  void update(std::size_t done, std::size_t total, double elapsed_seconds);
  /// Ends the bar's line (call once at the end).
  void finish();

  /// "[#####.....] 512/1000  51.2 samples/s  ETA 0:09" — the text of one update.
  static std::string format(std::size_t done, std::size_t total, double elapsed_seconds,
                            int bar_width);

 private:
  std::FILE* stream_;
  Mode mode_;
  std::string label_;
  double line_interval_seconds_;
  double last_line_seconds_ = -1;
  bool drew_bar_ = false;
};

}  // namespace kiln::bench
