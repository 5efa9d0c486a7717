// The files `kiln run` writes for a dataset: `<input stem>_<k>.{bin,npy,txt}` per sample and
// model output (k from 1, as the seeds' benchmark tool numbers them) and `outputs.json`, which
// describes them for `kiln eval` and for `--resume`.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/core/tensor.h"
#include "kiln/runtime/session.h"

namespace kiln::bench {

enum class OutputFormat { kBin, kNpy, kTxt };

/// "bin", "npy" or "txt"; a user error lists the choices otherwise.
OutputFormat parse_output_format(std::string_view text);
std::string_view format_extension(OutputFormat format);

/// `dir / "<stem>_<output_index + 1>.<ext>"`.
std::filesystem::path output_path(const std::filesystem::path& dir, std::string_view stem,
                                  std::size_t output_index, OutputFormat format);

/// The bytes of one output file: raw little-endian, .npy, or text (values in shortest
/// round-trip form, one line per innermost row).
std::string serialize_output(const Tensor& sample, OutputFormat format);

/// True when `path` exists and is a complete output of per-sample type `sample`: the exact size
/// for .bin, a valid header and size for .npy, any content for .txt (every file is written
/// under a temporary name and renamed, so one that exists was written whole).
bool output_is_complete(const std::filesystem::path& path, const TensorSignature& sample,
                        OutputFormat format);

/// Writes `dir/outputs.json` (atomically): model, format and each output's index, name, dtype
/// and per-sample shape.
void write_outputs_manifest(const std::filesystem::path& dir, const std::string& model,
                            OutputFormat format, const std::vector<TensorSignature>& outputs);

/// For --resume: when `dir/outputs.json` exists it must describe the same format and outputs,
/// else a user error says that the directory holds another model's outputs.
void check_outputs_manifest(const std::filesystem::path& dir, OutputFormat format,
                            const std::vector<TensorSignature>& outputs);

}  // namespace kiln::bench
