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

void write_outputs_manifest(const fs::path& dir, const OutputsManifest& manifest) {
  const nlohmann::json json = {{"model", manifest.model},
                               {"model_sha256", manifest.model_sha256},
                               {"settings", manifest.settings},
                               {"format", std::string(format_extension(manifest.format))},
                               {"outputs", describe_outputs(manifest.outputs)},
                               {"samples", manifest.samples}};
  write_file_atomically(dir / "outputs.json", json.dump(2) + "\n");
}

void check_outputs_manifest(const fs::path& dir, const OutputsManifest& manifest) {
  const fs::path path = dir / "outputs.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return;
  nlohmann::json old;
  try {
    old = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw_user_error("--resume: '{}' is not valid JSON ({}); remove it or the directory",
                     path.string(), e.what());
  }
  if (!old.is_object()) {
    throw_user_error("--resume: '{}' is not a JSON object; use --overwrite or a new directory",
                     path.string());
  }
  const auto differs = [&](const char* key, const nlohmann::json& wanted) {
    return !old.contains(key) || old[key] != wanted;
  };
  const auto refuse = [&](std::string_view what) {
    throw_user_error(
        "--resume: '{}' holds outputs of {} ({}); use --overwrite to replace them or a new "
        "--output directory",
        dir.string(), what, path.string());
  };
  if (differs("model_sha256", manifest.model_sha256)) {
    refuse(fmt::format("another model (SHA-256 {}, this is {})",
                       old.value("model_sha256", nlohmann::json("unrecorded")).dump(),
                       manifest.model_sha256));
  }
  if (differs("settings", manifest.settings)) {
    refuse(fmt::format("other options ({}, now {})",
                       old.value("settings", nlohmann::json("unrecorded")).dump(),
                       nlohmann::json(manifest.settings).dump()));
  }
  if (differs("format", std::string(format_extension(manifest.format)))) {
    refuse("another --outfmt");
  }
  if (differs("outputs", describe_outputs(manifest.outputs))) refuse("other model outputs");
}

bool is_kiln_output_name(const std::string& file_name) {
  if (file_name == "outputs.json") return true;
  const fs::path path = file_name;
  const std::string ext = path.extension().string();
  if (ext != ".bin" && ext != ".npy" && ext != ".txt") return false;
  const std::string base = path.stem().string();
  const std::size_t underscore = base.rfind('_');
  if (underscore == std::string::npos || underscore == 0 || underscore + 1 == base.size()) {
    return false;
  }
  const std::string index = base.substr(underscore + 1);
  return index.find_first_not_of("0123456789") == std::string::npos &&
         index.find_first_not_of('0') != std::string::npos;
}

void prepare_output_directory(const fs::path& dir, ExistingOutputs existing) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw_user_error("--output '{}': cannot create the directory: {}", dir.string(),
                     ec ? ec.message() : "a file of that name exists");
  }
  if (existing == ExistingOutputs::kResume) return;
  std::vector<fs::path> earlier;
  fs::directory_iterator it(dir, ec);
  if (ec)
    throw_user_error("--output '{}': cannot read the directory: {}", dir.string(), ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) {
      throw_user_error("--output '{}': cannot read the directory: {}", dir.string(), ec.message());
    }
    if (!it->is_directory(ec) && is_kiln_output_name(it->path().filename().string())) {
      earlier.push_back(it->path());
    }
  }
  if (earlier.empty()) return;
  if (existing == ExistingOutputs::kRefuse) {
    throw_user_error(
        "--output '{}' already holds {} output file(s) of an earlier run (e.g. '{}'); use "
        "--resume to finish that run, --overwrite to delete them first, or a new directory",
        dir.string(), earlier.size(), earlier.front().filename().string());
  }
  for (const fs::path& file : earlier) {
    if (!fs::remove(file, ec) && ec) {
      throw_user_error("--overwrite: cannot delete '{}': {}", file.string(), ec.message());
    }
  }
}

}  // namespace kiln::bench
