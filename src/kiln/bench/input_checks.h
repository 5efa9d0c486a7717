// Checks on what a command reads, made before reading it: a path that is a FIFO, a device or a
// directory would block a read forever or fail with a misleading message, and a model without
// outputs would "run" and produce nothing.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace kiln::bench {

/// What is at `path`: "a regular file", "a directory", "a FIFO", "a character device", "a block
/// device", "a socket", "a symbolic link to nothing", "nothing (it does not exist)" or
/// "unreadable (REASON)".
std::string describe_file_type(const std::filesystem::path& path);

/// A user error, "ROLE 'PATH' is a FIFO, not a regular file", unless `path` is a regular file
/// (or a symbolic link to one). Checked by stat, so it never opens (and blocks on) a FIFO.
void require_regular_file(const std::filesystem::path& path, std::string_view role);

/// A user error when the model at `model` has no outputs: it would compute nothing.
void require_model_outputs(std::size_t outputs, const std::filesystem::path& model);

}  // namespace kiln::bench
