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

/// What `outputs.json` records: what the files are (format, outputs) and who wrote them (the
/// model's SHA-256 and the options that decide a sample's outputs), so that `--resume` can
/// refuse a directory another model or other options wrote, and the samples the run covers, so
/// that `kiln eval` can tell a missing output from a smaller dataset.
struct OutputsManifest {
  std::string model;         ///< the model's file name, for people
  std::string model_sha256;  ///< of the model file
  /// The options that change what a sample's outputs are ("--shape image:1,3,224,224",
  /// "--input data"), in the order given. Batch size and threads are not among them.
  std::vector<std::string> settings;
  OutputFormat format = OutputFormat::kBin;
  std::vector<TensorSignature> outputs;  ///< per-sample signatures
  std::vector<std::string> samples;      ///< stems, in dataset order
};

/// Writes `dir/outputs.json` (atomically): model, SHA-256, settings, format, each output's
/// index, name, dtype and per-sample shape, and the sample stems.
void write_outputs_manifest(const std::filesystem::path& dir, const OutputsManifest& manifest);

/// For --resume: when `dir/outputs.json` exists it must name the same model SHA-256, settings,
/// format and outputs as `manifest`, else a user error says which differs.
void check_outputs_manifest(const std::filesystem::path& dir, const OutputsManifest& manifest);

/// What to do with a directory that already holds a run's outputs.
enum class ExistingOutputs {
  kRefuse,     ///< a user error: a new run would leave stale outputs beside its own
  kResume,     ///< keep complete outputs (their manifest must match)
  kOverwrite,  ///< delete kiln's own files (outputs.json, `<stem>_<k>.<ext>`) first
};

/// True for the names kiln run writes: outputs.json and `<stem>_<k>.{bin,npy,txt}`, k >= 1
/// (the names eval/output_reader.cpp reads).
bool is_kiln_output_name(const std::string& file_name);

/// Creates `dir` if needed and applies `existing` to the outputs of an earlier run in it;
/// files kiln did not write are never touched.
void prepare_output_directory(const std::filesystem::path& dir, ExistingOutputs existing);

}  // namespace kiln::bench
