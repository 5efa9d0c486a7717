// Reading what `kiln run` wrote: OUT_DIR/<stem>_<k>.{bin,npy,txt} and OUT_DIR/outputs.json.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/dtype.h"
#include "kiln/core/shape.h"
#include "kiln/core/tensor.h"

namespace kiln::eval {

/// What outputs.json says about one model output (contract: index from 1, per-sample shape).
struct OutputSpec {
  std::string name;
  DType dtype = DType::kFloat32;
  std::optional<Shape> shape;
};

/// One dumped output file.
struct OutputFile {
  std::string stem;  ///< input sample stem: "ILSVRC2012_val_00000001"
  int index = 0;     ///< output index k, from 1
  std::filesystem::path path;
};

/// An output directory of `kiln run` (or of the seeds' benchmark tool, which names files the
/// same way). Files that do not look like `<stem>_<k>.{bin,npy,txt}` are not outputs and are
/// skipped; outputs.json, when present, gives the dtype and shape of .bin and .txt files.
class OutputDirectory {
 public:
  /// Scans `dir`; a user error when it does not exist or outputs.json is malformed.
  explicit OutputDirectory(std::filesystem::path dir);

  const std::filesystem::path& path() const { return dir_; }
  /// The files of output `index`, sorted by stem. Empty when there are none; a user error when
  /// outputs.json lists samples and some of them have no file for `index`.
  std::vector<OutputFile> files(int index) const;
  /// outputs.json's entry for output `index`, or a float32 entry without a shape.
  OutputSpec spec(int index) const;
  bool has_outputs_json() const { return has_outputs_json_; }

  /// Reads one file as float32. The shape is, in this order: `shape` when given (the command's
  /// shape option), the .npy header, outputs.json; otherwise 1-D. A file whose element count
  /// does not match the shape is a user error naming the file.
  Tensor read(const OutputFile& file, const std::optional<Shape>& shape = std::nullopt) const;

 private:
  std::filesystem::path dir_;
  bool has_outputs_json_ = false;
  std::map<int, OutputSpec> specs_;
  std::vector<std::string> samples_;  ///< outputs.json's "samples" (empty without one)
  std::map<int, std::vector<OutputFile>> files_;
};

/// Parses "19,65,129" (a shape option); a user error naming `option` otherwise.
Shape parse_shape_option(const std::string& text, const std::string& option);

/// Reads a whole .bin of float32 / .txt of numbers / .npy file into float32, as `read` does,
/// for callers that know the path only.
Tensor read_output_file(const std::filesystem::path& path, const OutputSpec& spec,
                        const std::optional<Shape>& shape = std::nullopt);

}  // namespace kiln::eval
