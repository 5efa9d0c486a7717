#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/runtime/session.h"

namespace kiln::cli {

/// The options every command that loads a model shares: the model path, fixed input shapes,
/// threads.
struct ModelOptions {
  std::string model;
  std::vector<std::string> shapes;  ///< "NAME:D0,D1,..." each
  int threads = 0;

  /// Adds MODEL (positional), --shape and --threads to `command`.
  void add_to(CLI::App& command);
  /// The session options of these flags; first checks that MODEL is a regular file (a FIFO would
  /// block the import forever) and bounds --threads by the machine's cores.
  SessionOptions session_options() const;
  /// A user error when a --shape fixes the leading (batch) dimension of `batched_input` (the
  /// model's first input, which carries the batch) to other than `batch`, which `batch_option`
  /// ("--batch") asks for: the one would silently win over the other.
  void check_batch_agrees(std::int64_t batch, std::string_view batch_option,
                          const std::string& batched_input) const;
};

}  // namespace kiln::cli
