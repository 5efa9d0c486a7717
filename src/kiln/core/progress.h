// Progress of a long run: a bar with rate and ETA redrawn in place on a terminal, a plain line
// every few seconds otherwise (logs, CI), nothing with --quiet.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace kiln {

class ProgressDisplay {
 public:
  enum class Mode { kBar, kLines, kQuiet };
  /// kBar when `stream` is a terminal, else kLines; kQuiet when `quiet`.
  static Mode mode_for(std::FILE* stream, bool quiet);

  /// `unit` names what is counted ("samples", "images").
  ProgressDisplay(std::FILE* stream, Mode mode, std::string label, std::string unit = "samples",
                  double line_interval_seconds = 5);
  /// Reports `done` of `total` samples after `elapsed_seconds`.
  void update(std::size_t done, std::size_t total, double elapsed_seconds);
  /// Ends the bar's line (call once at the end).
  void finish();

  /// "[#####.....] 512/1000 (51%)  51.2 samples/s  elapsed 0:10  ETA 0:09" — one update.
  static std::string format(std::size_t done, std::size_t total, double elapsed_seconds,
                            int bar_width, std::string_view unit = "samples");

 private:
  std::FILE* stream_;
  Mode mode_;
  std::string label_;
  std::string unit_;
  double line_interval_seconds_;
  double last_line_seconds_ = -1;
  std::size_t last_line_done_ = 0;
  bool drew_bar_ = false;
};

}  // namespace kiln
