// kiln's entry point: parses the command line, runs one subcommand, and turns every error into
// one line on stderr with exit code 1 (bad input) or 2 (a bug in kiln).

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "kiln/cli/commands.h"
#include "kiln/cli/terminal_text.h"
#include "kiln/core/error.h"

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "kiln rn" -> "unknown command 'rn'; did you mean 'run'?"
bool reject_unknown_command(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return false;
  const std::string given = argv[1];
  std::string best;
  std::size_t best_distance = 3;  // suggest only near misses
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == given) return false;
    const std::size_t d = edit_distance(given, sub->get_name());
    if (d < best_distance) {
      best_distance = d;
      best = sub->get_name();
    }
  }
  std::fprintf(stderr, "kiln: unknown command '%s'%s (see 'kiln --help')\n",
               kiln::cli::printable(given).c_str(),
               best.empty() ? "" : ("; did you mean '" + best + "'?").c_str());
  return true;
}

// The subcommand chain that was parsed, "kiln eval topk", for messages.
std::string command_path(const CLI::App& app) {
  std::string path = "kiln";
  const CLI::App* current = &app;
  while (true) {
    const std::vector<const CLI::App*> parsed =
        current->get_subcommands([](const CLI::App* sub) { return sub->parsed(); });
    if (parsed.empty()) return path;
    current = parsed.front();
    path += " " + current->get_name();
  }
}

void print_error(const char* label, const std::string& message) {
  std::fprintf(stderr, "kiln: %s: %s\n", label, kiln::cli::printable(message).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kiln: compile ONNX models, run them over datasets, measure speed and accuracy"};
  app.set_version_flag("--version", std::string("kiln ") + KILN_VERSION);
  app.require_subcommand(1);
  kiln::cli::add_all_commands(app);
  if (reject_unknown_command(app, argc, argv)) return 1;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    // Thrown by a command that has already said why it stops (an interrupted run: 130).
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    // CLI11's own exit codes (104-109) and two-line text say nothing a script can use: a bad
    // command line is bad input, one line, exit 1.
    print_error("error", fmt::format("{} (see '{} --help')", e.what(), command_path(app)));
    return 1;
  } catch (const kiln::Error& e) {
    print_error("error", e.what());
    return e.kind() == kiln::ErrorKind::kUser ? 1 : 2;
  } catch (const std::bad_alloc&) {
    // Sized allocations are checked where they are made; this one was not.
    print_error("error", fmt::format("out of memory in '{}' (an allocation with no size check)",
                                     command_path(app)));
    return 1;
  } catch (const std::exception& e) {
    print_error("internal error", e.what());
    return 2;
  }
  return 0;
}
