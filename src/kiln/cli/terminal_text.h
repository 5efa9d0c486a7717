// Text printed to a terminal: a message may quote bytes from a user's file (a junk line of an
// .info list, a file name), and raw control bytes would move the cursor or change the colours.
#pragma once

#include <string>
#include <string_view>

namespace kiln::cli {

/// `text` with control characters and bytes that are not valid UTF-8 written as "\xHH" (tab,
/// newline and carriage return as "\t", "\n", "\r"), so a message stays one printable line.
std::string printable(std::string_view text);

}  // namespace kiln::cli
