#pragma once

// What every fuzz target shares: the verdict on one input, and files for readers that take a path.
// A user kiln::Error is the right answer to bad input; an internal error, any other exception, a
// crash, a sanitizer report, a hang or runaway memory is a finding.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "kiln/core/error.h"

namespace kiln::fuzz {

/// Runs `body` on one input and returns 0 (libFuzzer's "done"); aborts with the message when
/// `body` throws anything but a user error, so libFuzzer saves the input as a crash.
template <typename Body>
int run_one_input(Body&& body) {
  try {
    body();
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kUser) return 0;
    std::fprintf(stderr, "fuzz finding: internal error: %s\n", e.what());
    std::abort();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz finding: escaped exception: %s\n", e.what());
    std::abort();
  }
  return 0;
}

/// A directory of this process's own, created once, for readers that take a path.
inline const std::filesystem::path& scratch_directory() {
  static const std::filesystem::path dir = [] {
    auto path = std::filesystem::temp_directory_path() /
                ("kiln_fuzz_" + std::to_string(static_cast<long>(::getpid())));
    std::filesystem::create_directories(path);
    std::atexit([] { std::filesystem::remove_all(scratch_directory()); });
    return path;
  }();
  return dir;
}

/// Writes `bytes` to `name` inside scratch_directory() and returns its path.
inline std::filesystem::path write_scratch_file(const std::string& name, std::string_view bytes) {
  const std::filesystem::path path = scratch_directory() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace kiln::fuzz
