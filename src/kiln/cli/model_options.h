#pragma once

#include <CLI/CLI.hpp>
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
  SessionOptions session_options() const;
};

}  // namespace kiln::cli
