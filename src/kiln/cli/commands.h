#pragma once

#include <CLI/CLI.hpp>

namespace kiln::cli {

/// Each subcommand adds itself to the app: its options and its callback. One file each.
void add_info_command(CLI::App& app);
void add_synth_command(CLI::App& app);
void add_prep_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_eval_command(CLI::App& app);

/// Adds every subcommand, in the order `kiln --help` lists them.
inline void add_all_commands(CLI::App& app) {
  add_info_command(app);
  add_synth_command(app);
  add_prep_command(app);
  add_run_command(app);
  add_bench_command(app);
  add_eval_command(app);
}

}  // namespace kiln::cli
