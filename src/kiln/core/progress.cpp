#include "kiln/core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace kiln {

ProgressDisplay::Mode ProgressDisplay::mode_for(std::FILE* stream, bool quiet) {
  if (quiet) return Mode::kQuiet;
  return ::isatty(::fileno(stream)) ? Mode::kBar : Mode::kLines;
}

ProgressDisplay::ProgressDisplay(std::FILE* stream, Mode mode, std::string label, std::string unit,
                                 double line_interval_seconds)
    : stream_(stream),
      mode_(mode),
      label_(std::move(label)),
      unit_(std::move(unit)),
      line_interval_seconds_(line_interval_seconds) {}

namespace {

std::string clock_text(double seconds) {
  const auto total = static_cast<long>(std::lround(std::max(0.0, seconds)));
  if (total >= 3600)
    return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

}  // namespace

std::string ProgressDisplay::format(std::size_t done, std::size_t total, double elapsed_seconds,
                                    int bar_width, std::string_view unit) {
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const double rate = elapsed_seconds > 0 ? static_cast<double>(done) / elapsed_seconds : 0;
  const std::string eta =
      rate > 0 ? clock_text(static_cast<double>(total - std::min(done, total)) / rate) : "?";
  std::string text;
  if (bar_width > 0) {
    const auto filled = static_cast<int>(std::floor(fraction * bar_width));
    text = fmt::format("[{}{}] ", std::string(static_cast<std::size_t>(filled), '#'),
                       std::string(static_cast<std::size_t>(bar_width - filled), '.'));
  }
  return text + fmt::format("{}/{} ({:.0f}%)  {:.1f} {}/s  elapsed {}  ETA {}", done, total,
                            100.0 * fraction, rate, unit, clock_text(elapsed_seconds), eta);
}

void ProgressDisplay::update(std::size_t done, std::size_t total, double elapsed_seconds) {
  switch (mode_) {
    case Mode::kQuiet:
      return;
    case Mode::kBar:
      fmt::print(stream_, "\r{} {}\x1b[K", label_, format(done, total, elapsed_seconds, 30, unit_));
      drew_bar_ = true;
      std::fflush(stream_);
      return;
    case Mode::kLines:
      if (done == last_line_done_ && last_line_seconds_ >= 0) return;  // nothing new to say
      if (done < total && last_line_seconds_ >= 0 &&
          elapsed_seconds - last_line_seconds_ < line_interval_seconds_) {
        return;
      }
      last_line_seconds_ = elapsed_seconds;
      last_line_done_ = done;
      fmt::print(stream_, "{} {}\n", label_, format(done, total, elapsed_seconds, 0, unit_));
      std::fflush(stream_);
      return;
  }
}

void ProgressDisplay::finish() {
  if (drew_bar_) fmt::print(stream_, "\n");
  drew_bar_ = false;
}

}  // namespace kiln
