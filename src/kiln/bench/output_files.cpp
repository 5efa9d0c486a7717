#include "kiln/bench/output_files.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "kiln/core/error.h"
#include "kiln/core/file_io.h"
#include "kiln/core/npy.h"

namespace kiln::bench {

namespace fs = std::filesystem;

OutputFormat parse_output_format(std::string_view text) {
  if (text == "bin") return OutputFormat::kBin;
  if (text == "npy") return OutputFormat::kNpy;
  if (text == "txt") return OutputFormat::kTxt;
  throw_user_error("--outfmt '{}': expected bin, npy or txt", text);
}

std::string_view format_extension(OutputFormat format) {
  switch (format) {
    case OutputFormat::kBin:
      return "bin";
    case OutputFormat::kNpy:
      return "npy";
    case OutputFormat::kTxt:
      return "txt";
  }
  throw_internal_error("unknown output format");
}

fs::path output_path(const fs::path& dir, std::string_view stem, std::size_t output_index,
                     OutputFormat format) {
  return dir / fmt::format("{}_{}.{}", stem, output_index + 1, format_extension(format));
}

namespace {

template <typename T>
void append_rows(std::string& text, const Tensor& sample) {
  const auto values = sample.span<T>();
  const std::size_t row =
      sample.shape().rank() == 0 ? 1 : static_cast<std::size_t>(sample.shape().dims().back());
  for (std::size_t i = 0; i < values.size(); ++i) {
    fmt::format_to(std::back_inserter(text), "{}", values[i]);
    text.push_back(row == 0 || (i + 1) % row == 0 ? '\n' : ' ');
  }
}

std::string to_text(const Tensor& sample) {
  std::string text;
  switch (sample.dtype()) {
    case DType::kFloat32:
      append_rows<float>(text, sample);
      break;
    case DType::kInt64:
      append_rows<std::int64_t>(text, sample);
      break;
    case DType::kInt32:
      append_rows<std::int32_t>(text, sample);
      break;
    default:
      append_rows<float>(text, sample.to_float32());
  }
  return text;
}

}  // namespace

std::string serialize_output(const Tensor& sample, OutputFormat format) {
  switch (format) {
    case OutputFormat::kBin:
      return std::string(static_cast<const char*>(sample.raw()), sample.size_bytes());
    case OutputFormat::kNpy:
      return format_npy(sample);
    case OutputFormat::kTxt:
      return to_text(sample);
  }
  throw_internal_error("unknown output format");
}

bool output_is_complete(const fs::path& path, const TensorSignature& sample, OutputFormat format) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  const std::size_t bytes =
      static_cast<std::size_t>(sample.shape.numel()) * dtype_size(sample.dtype);
  const auto size = fs::file_size(path, ec);
  if (ec) return false;
  switch (format) {
    case OutputFormat::kBin:
      return size == bytes;
    case OutputFormat::kNpy:
      try {
        const Tensor t = read_npy(path);
        return t.dtype() == sample.dtype && t.shape() == sample.shape;
      } catch (const Error&) {
        return false;
      }
    case OutputFormat::kTxt:
      return size > 0;
  }
  return false;
}

namespace {

nlohmann::json describe_outputs(const std::vector<TensorSignature>& outputs) {
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    list.push_back({{"index", i + 1},
                    {"name", outputs[i].name},
                    {"dtype", std::string(dtype_name(outputs[i].dtype))},
                    {"shape", outputs[i].shape.dims()}});
  }
  return list;
}

}  // namespace

void write_outputs_manifest(const fs::path& dir, const std::string& model, OutputFormat format,
                            const std::vector<TensorSignature>& outputs) {
  const nlohmann::json manifest = {{"model", model},
                                   {"format", std::string(format_extension(format))},
                                   {"outputs", describe_outputs(outputs)}};
  write_file_atomically(dir / "outputs.json", manifest.dump(2) + "\n");
}

void check_outputs_manifest(const fs::path& dir, OutputFormat format,
                            const std::vector<TensorSignature>& outputs) {
  const fs::path path = dir / "outputs.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return;
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw_user_error("--resume: '{}' is not valid JSON ({}); remove it or the directory",
                     path.string(), e.what());
  }
  const std::string wanted_format(format_extension(format));
  if (manifest.value("format", "") != wanted_format ||
      manifest.value("outputs", nlohmann::json()) != describe_outputs(outputs)) {
    throw_user_error(
        "--resume: '{}' holds outputs of another model or format ({}); use a new --output "
        "directory",
        dir.string(), path.string());
  }
}

}  // namespace kiln::bench
