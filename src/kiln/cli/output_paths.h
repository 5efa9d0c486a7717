// One rule for every command: what it writes must not be what it reads. An output path that
// names an input (`kiln eval topk res labels.txt -o labels.txt`) would replace the user's file;
// an output directory that is or lies inside an input directory would be read back as samples.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::cli {

/// A path a command was given, with the option or argument that named it, for messages.
struct CommandPath {
  std::string option;  ///< "--summary", "LABELS", "MODEL"
  std::filesystem::path path;
};

/// A user error when an output file is one of the input files: the same file (same device and
/// inode) when both exist, else the same absolute path once `.`, `..` and links are resolved.
/// Empty paths (options not given) are ignored.
void check_outputs_are_not_inputs(const std::vector<CommandPath>& outputs,
                                  const std::vector<CommandPath>& inputs);

/// A user error when the output directory `output` is an input (file or directory), lies inside
/// an input directory, or holds one of `input_files` (a dataset's samples).
void check_output_directory(const CommandPath& output, const std::vector<CommandPath>& inputs,
                            const std::vector<std::filesystem::path>& input_files = {});

}  // namespace kiln::cli
