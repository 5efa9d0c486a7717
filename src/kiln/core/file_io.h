#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace kiln {

/// Reads a whole file; a user error names the file when it cannot be read.
std::string read_file(const std::filesystem::path& path);

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// reader never sees a half-written file and an existing file survives a failed write.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace kiln
