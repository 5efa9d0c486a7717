#include "kiln/core/progress.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(Progress, ShowsCountRateAndEta) {
  EXPECT_EQ(ProgressDisplay::format(250, 1000, 5.0, 10),
            "[##........] 250/1000 (25%)  50.0 samples/s  elapsed 0:05  ETA 0:15");
  EXPECT_EQ(ProgressDisplay::format(0, 10, 0.0, 0),
            "0/10 (0%)  0.0 samples/s  elapsed 0:00  ETA ?");
  EXPECT_EQ(ProgressDisplay::format(100, 50000, 10.0, 0, "images"),
            "100/50000 (0%)  10.0 images/s  elapsed 0:10  ETA 1:23:10");
}

TEST(Progress, PlainLinesArePeriodicAndTheLastOneAlwaysPrints) {
  char* text = nullptr;
  std::size_t size = 0;
  std::FILE* stream = open_memstream(&text, &size);
  ProgressDisplay display(stream, ProgressDisplay::Mode::kLines, "run", "samples", 5.0);
  display.update(1, 10, 0.5);   // first: printed
  display.update(2, 10, 2.0);   // too soon: skipped
  display.update(5, 10, 6.0);   // printed
  display.update(10, 10, 7.0);  // last: printed
  display.update(10, 10, 7.5);  // the same count again (a final report): not repeated
  display.finish();
  std::fclose(stream);
  const std::string out(text, size);
  std::free(text);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3) << out;
  EXPECT_NE(out.find("run 10/10 (100%)"), std::string::npos) << out;
}

}  // namespace
}  // namespace kiln
