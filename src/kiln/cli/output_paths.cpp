#include "kiln/cli/output_paths.h"

#include <set>

#include "kiln/core/error.h"

namespace kiln::cli {

namespace fs = std::filesystem;

namespace {

// The absolute path with links and "..": the parts that exist resolved, the rest appended.
fs::path resolved(const fs::path& path) {
  std::error_code ec;
  fs::path result = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::absolute(path).lexically_normal() : result;
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) {
    const bool equivalent = fs::equivalent(a, b, ec);
    if (!ec) return equivalent;
  }
  return resolved(a) == resolved(b);
}

// True when `inner` is `outer` or lies below it (both resolved).
bool is_within(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (o->empty()) continue;  // a trailing separator
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

}  // namespace

void check_outputs_are_not_inputs(const std::vector<CommandPath>& outputs,
                                  const std::vector<CommandPath>& inputs) {
  for (const CommandPath& output : outputs) {
    if (output.path.empty()) continue;
    for (const CommandPath& input : inputs) {
      if (input.path.empty()) continue;
      if (same_file(output.path, input.path)) {
        throw_user_error("{} '{}' is the {} '{}' this command reads; writing it would destroy it",
                         output.option, output.path.string(), input.option, input.path.string());
      }
    }
  }
}

void check_output_directory(const CommandPath& output, const std::vector<CommandPath>& inputs,
                            const std::vector<fs::path>& input_files) {
  if (output.path.empty()) return;
  check_outputs_are_not_inputs({output}, inputs);
  const fs::path output_dir = resolved(output.path);
  for (const CommandPath& input : inputs) {
    std::error_code ec;
    if (input.path.empty() || !fs::is_directory(input.path, ec)) continue;
    if (is_within(output_dir, resolved(input.path))) {
      throw_user_error("{} '{}' lies inside the {} '{}'; its outputs would be read back as input",
                       output.option, output.path.string(), input.option, input.path.string());
    }
  }
  // A dataset's files come in the thousands from a few directories: resolve each directory once.
  std::set<fs::path> checked;
  for (const fs::path& file : input_files) {
    const fs::path parent = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    if (!checked.insert(parent).second) continue;
    if (is_within(resolved(parent), output_dir)) {
      throw_user_error("{} '{}' holds the input file '{}'; outputs would be mixed with the samples",
                       output.option, output.path.string(), file.string());
    }
  }
}

}  // namespace kiln::cli
