// Facts about the machine, the process and the model file that every report records, so that a
// figure can be traced to where and on what it was measured.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace kiln::bench {

/// The most resident memory the process has held so far, in bytes (getrusage).
std::size_t peak_rss_bytes();
/// Resident memory now, in bytes (/proc/self/statm); 0 where unavailable.
std::size_t current_rss_bytes();
/// The CPU's model name from /proc/cpuinfo, or "unknown".
std::string cpu_model();
/// Logical cores available to the process.
int logical_cores();
/// Lowercase hex SHA-256 of a file's contents; a user error names an unreadable file.
std::string sha256_of_file(const std::filesystem::path& path);
/// The current UTC time as ISO 8601 ("2026-11-21T10:15:00Z").
std::string utc_timestamp();

}  // namespace kiln::bench
