// Output dumps of `kiln run`: name parsing (<stem>_<k>.<ext>), outputs.json, and the three file
// formats, all turned into float32 tensors with the per-sample shape.

#include "kiln/eval/output_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "kiln/core/error.h"
#include "kiln/core/file_io.h"
#include "kiln/core/npy.h"

namespace kiln::eval {

namespace {

// "<stem>_<k>.<ext>" -> stem, k; nullopt for anything else (outputs.json, notes, sub-folders).
std::optional<OutputFile> parse_output_name(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext != ".bin" && ext != ".npy" && ext != ".txt") return std::nullopt;
  const std::string base = path.stem().string();
  const std::size_t underscore = base.rfind('_');
  if (underscore == std::string::npos || underscore == 0 || underscore + 1 == base.size()) {
    return std::nullopt;
  }
  int index = 0;
  const char* first = base.data() + underscore + 1;
  const char* last = base.data() + base.size();
  auto [end, ec] = std::from_chars(first, last, index);
  if (ec != std::errc() || end != last || index < 1) return std::nullopt;
  return OutputFile{base.substr(0, underscore), index, path};
}

Tensor parse_text_values(const std::string& text, const std::filesystem::path& path) {
  std::vector<float> values;
  values.reserve(text.size() / 8);
  const char* p = text.data();
  const char* end = p + text.size();
  while (true) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',')) ++p;
    if (p >= end) break;
    if (*p == '+') ++p;  // from_chars takes no plus sign
    float v = 0;
    auto [next, ec] = std::from_chars(p, end, v);
    if (ec == std::errc::result_out_of_range) {
      // from_chars refuses over/underflow; strtof gives the IEEE result (inf or a denormal).
      v = std::strtof(std::string(p, next).c_str(), nullptr);
    } else if (ec != std::errc()) {
      const char* token_end = std::find_if(p, end, [](char c) { return c == ' ' || c == '\n'; });
      const std::size_t line = 1 + static_cast<std::size_t>(std::count(text.data(), p, '\n'));
      throw_user_error("'{}' line {}: '{}' is not a number", path.string(), line,
                       std::string(p, std::min<std::ptrdiff_t>(token_end - p, 20)));
    }
    values.push_back(v);
    p = next;
  }
  Tensor tensor(DType::kFloat32, Shape{static_cast<std::int64_t>(values.size())});
  if (!values.empty()) std::memcpy(tensor.raw(), values.data(), values.size() * sizeof(float));
  return tensor;
}

Tensor with_shape(Tensor tensor, const std::optional<Shape>& shape,
                  const std::filesystem::path& path, const char* source) {
  if (!shape) return tensor;
  if (shape->numel() != tensor.numel()) {
    throw_user_error("'{}' holds {} values, {} says the output is {} ({} values)", path.string(),
                     tensor.numel(), source, shape->to_string(), shape->numel());
  }
  return tensor.reshaped(*shape);
}

// outputs.json's `entry[key]` as T (nullopt when absent); a user error naming the entry and the
// key when it has another type, instead of the JSON library's own type error.
template <typename T>
std::optional<T> json_field(const nlohmann::json& entry, std::size_t position, const char* key,
                            const char* expected) {
  if (!entry.contains(key)) return std::nullopt;
  const nlohmann::json& value = entry[key];
  try {
    return value.get<T>();
  } catch (const nlohmann::json::exception&) {
    const std::string shown = value.dump();
    throw_user_error("\"outputs\"[{}].\"{}\" is {}, expected {}", position, key,
                     shown.size() > 60 ? shown.substr(0, 60) + "..." : shown, expected);
  }
}

}  // namespace

Shape parse_shape_option(const std::string& text, const std::string& option) {
  std::vector<std::int64_t> dims;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    std::int64_t d = 0;
    auto [next, ec] = std::from_chars(p, end, d);
    if (ec != std::errc() || d <= 0 || (next < end && *next != ',' && *next != 'x')) {
      throw_user_error("{} '{}': expected positive dimensions separated by commas, e.g. 19,65,129",
                       option, text);
    }
    dims.push_back(d);
    p = next < end ? next + 1 : next;
  }
  if (dims.empty()) throw_user_error("{} is empty: expected dimensions such as 19,65,129", option);
  return Shape(std::move(dims));
}

Tensor read_output_file(const std::filesystem::path& path, const OutputSpec& spec,
                        const std::optional<Shape>& shape) {
  const std::string ext = path.extension().string();
  if (ext == ".npy") {
    Tensor tensor = read_npy(path);
    if (tensor.dtype() != DType::kFloat32) tensor = tensor.to_float32();
    if (shape) return with_shape(std::move(tensor), shape, path, "the shape option");
    return tensor;
  }
  const std::optional<Shape>& wanted = shape ? shape : spec.shape;
  const char* source = shape ? "the shape option" : "outputs.json";
  if (ext == ".txt") {
    return with_shape(parse_text_values(read_file(path), path), wanted, path, source);
  }
  // .bin: raw little-endian elements of the dtype outputs.json names (float32 without it).
  const std::string bytes = read_file(path);
  const std::size_t element = dtype_size(spec.dtype);
  if (bytes.size() % element != 0) {
    throw_user_error("'{}' is {} bytes, not a whole number of {} values", path.string(),
                     bytes.size(), dtype_name(spec.dtype));
  }
  Tensor raw(spec.dtype, Shape{static_cast<std::int64_t>(bytes.size() / element)});
  if (!bytes.empty()) std::memcpy(raw.raw(), bytes.data(), bytes.size());
  if (spec.dtype != DType::kFloat32) raw = raw.to_float32();
  return with_shape(std::move(raw), wanted, path, source);
}

OutputDirectory::OutputDirectory(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) {
    throw_user_error("output directory '{}' does not exist (expected the --output of kiln run)",
                     dir_.string());
  }
  const std::filesystem::path manifest = dir_ / "outputs.json";
  if (std::filesystem::exists(manifest, ec)) {
    has_outputs_json_ = true;
    with_context([&] { return fmt::format("while reading '{}'", manifest.string()); },
                 [&] {
                   nlohmann::json json;
                   try {
                     json = nlohmann::json::parse(read_file(manifest));
                   } catch (const nlohmann::json::parse_error& e) {
                     throw_user_error("not valid JSON: {}", e.what());
                   }
                   if (!json.contains("outputs") || !json["outputs"].is_array()) {
                     throw_user_error("no \"outputs\" list");
                   }
                   const nlohmann::json& list = json["outputs"];
                   for (std::size_t i = 0; i < list.size(); ++i) {
                     const nlohmann::json& entry = list[i];
                     if (!entry.is_object()) {
                       throw_user_error("\"outputs\"[{}] is {}, not an object", i,
                                        entry.type_name());
                     }
                     const auto index = json_field<int>(entry, i, "index", "an integer");
                     if (!index) throw_user_error("\"outputs\"[{}] has no \"index\"", i);
                     OutputSpec spec;
                     spec.name = json_field<std::string>(entry, i, "name", "a string").value_or("");
                     if (auto dtype = json_field<std::string>(entry, i, "dtype", "a string")) {
                       spec.dtype = parse_dtype(*dtype);
                     }
                     if (auto dims = json_field<std::vector<std::int64_t>>(entry, i, "shape",
                                                                           "a list of integers")) {
                       spec.shape = Shape(std::move(*dims));
                     }
                     specs_[*index] = std::move(spec);
                   }
                   if (json.contains("samples")) {
                     if (!json["samples"].is_array()) {
                       throw_user_error("\"samples\" is {}, not a list of names",
                                        json["samples"].type_name());
                     }
                     for (const nlohmann::json& stem : json["samples"]) {
                       if (!stem.is_string()) {
                         throw_user_error("\"samples\" holds {}, not a name", stem.dump());
                       }
                       samples_.push_back(stem.get<std::string>());
                     }
                   }
                 });
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    std::optional<OutputFile> file = parse_output_name(entry.path());
    if (file) files_[file->index].push_back(std::move(*file));
  }
  for (auto& [index, list] : files_) {
    std::sort(list.begin(), list.end(), [](const OutputFile& a, const OutputFile& b) {
      return a.stem != b.stem ? a.stem < b.stem : a.path < b.path;
    });
    for (std::size_t i = 1; i < list.size(); ++i) {
      if (list[i].stem == list[i - 1].stem) {
        throw_user_error("'{}' and '{}' are both output {} of sample '{}'; keep one format",
                         list[i - 1].path.string(), list[i].path.string(), index, list[i].stem);
      }
    }
  }
}

std::vector<OutputFile> OutputDirectory::files(int index) const {
  auto it = files_.find(index);
  std::vector<OutputFile> found = it == files_.end() ? std::vector<OutputFile>{} : it->second;
  if (found.empty() || samples_.empty()) return found;
  // outputs.json lists the run's samples: evaluating fewer would give a figure for another
  // dataset without a word.
  std::set<std::string> stems;
  for (const OutputFile& file : found) stems.insert(file.stem);
  std::size_t missing = 0;
  const std::string* first_missing = nullptr;
  for (const std::string& stem : samples_) {
    if (stems.contains(stem)) continue;
    if (missing++ == 0) first_missing = &stem;
  }
  if (missing > 0) {
    throw_user_error(
        "'{}' lacks output {} of {} of its {} samples, the first '{}' (an interrupted run? "
        "finish it with kiln run --resume)",
        dir_.string(), index, missing, samples_.size(), *first_missing);
  }
  return found;
}

OutputSpec OutputDirectory::spec(int index) const {
  auto it = specs_.find(index);
  return it == specs_.end() ? OutputSpec{} : it->second;
}

Tensor OutputDirectory::read(const OutputFile& file, const std::optional<Shape>& shape) const {
  return read_output_file(file.path, spec(file.index), shape);
}

}  // namespace kiln::eval
