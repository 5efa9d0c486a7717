#include "kiln/cli/terminal_text.h"

#include <gtest/gtest.h>

namespace kiln::cli {
namespace {

TEST(Printable, KeepsTextAndUtf8) {
  EXPECT_EQ(printable("'a.bin' line 2: expected"), "'a.bin' line 2: expected");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe6\x97\xa5"), "caf\xc3\xa9 \xe6\x97\xa5");
}

TEST(Printable, EscapesControlsAndBrokenUtf8) {
  EXPECT_EQ(printable("red \x1b[31m!"), "red \\x1b[31m!");
  EXPECT_EQ(printable("a\nb\tc\r"), "a\\nb\\tc\\r");
  EXPECT_EQ(printable(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(printable("\x7f"), "\\x7f");
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");           // not UTF-8
  EXPECT_EQ(printable("\xc3"), "\\xc3");                    // cut short
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");           // overlong "/"
  EXPECT_EQ(printable("\xc2\x9b"), "\\xc2\\x9b");           // C1 control (CSI)
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a UTF-16 surrogate
}

}  // namespace
}  // namespace kiln::cli
