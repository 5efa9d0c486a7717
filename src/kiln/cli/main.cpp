// kiln's entry point: parses the command line, runs one subcommand, and turns every error into
// one line on stderr with exit code 1 (bad input) or 2 (a bug in kiln).

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "kiln/cli/commands.h"
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
  std::fprintf(stderr, "kiln: unknown command '%s'%s (see 'kiln --help')\n", given.c_str(),
               best.empty() ? "" : ("; did you mean '" + best + "'?").c_str());
  return true;
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
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const kiln::Error& e) {
    std::fprintf(stderr, "kiln: error: %s\n", e.what());
    return e.kind() == kiln::ErrorKind::kUser ? 1 : 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "kiln: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kiln: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
