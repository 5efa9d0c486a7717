#include "kiln/bench/dataset_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "kiln/bench/input_checks.h"
#include "kiln/bench/input_spec.h"
#include "kiln/core/error.h"
#include "kiln/core/file_io.h"
#include "kiln/core/npy.h"

namespace kiln::bench {

namespace fs = std::filesystem;

namespace {

bool has_extension(const fs::path& path, std::string_view extension) {
  return path.extension() == extension;
}

bool is_tensor_file(const fs::path& path) {
  return has_extension(path, ".bin") || has_extension(path, ".npy");
}

std::vector<DatasetSample> list_directory(const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) throw_user_error("cannot read directory '{}': {}", dir.string(), ec.message());
  std::vector<fs::path> files;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) throw_user_error("cannot read directory '{}': {}", dir.string(), ec.message());
    if (!is_tensor_file(it->path()) || it->is_directory(ec)) continue;
    // A FIFO or device named like a sample would block the read stage forever.
    require_regular_file(it->path(), fmt::format("dataset file in '{}':", dir.string()));
    files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  std::vector<DatasetSample> samples;
  samples.reserve(files.size());
  for (fs::path& file : files) samples.push_back({file.stem().string(), {std::move(file)}});
  if (samples.empty()) {
    throw_user_error("'{}' holds no .bin or .npy tensor files", dir.string());
  }
  return samples;
}

// `index path width height` per line, as the seeds' gen_dataset_info.py writes.
std::vector<DatasetSample> list_info(const fs::path& list) {
  std::istringstream text(read_file(list));
  const fs::path base = list.parent_path();
  std::vector<DatasetSample> samples;
  std::string line;
  for (int number = 1; std::getline(text, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string index;
    std::string path_text;
    std::string size_text;
    std::vector<std::string> sizes;
    fields >> index >> path_text;
    while (fields >> size_text) sizes.push_back(size_text);
    // The index and sizes must be numbers: a line of junk is a parse error, not a path.
    const auto is_number = [](const std::string& text) {
      return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
    };
    if (path_text.empty() || !is_number(index) || sizes.size() > 2 ||
        !std::all_of(sizes.begin(), sizes.end(), is_number)) {
      throw_user_error("'{}' line {}: expected 'index path width height', got '{}'", list.string(),
                       number, line.substr(0, 200));
    }
    fs::path path = path_text;
    if (path.is_relative()) {
      std::error_code ec;
      fs::path beside_list = base / path;
      if (fs::exists(beside_list, ec) || !fs::exists(path, ec)) path = std::move(beside_list);
    }
    require_regular_file(path, fmt::format("'{}' line {}: sample file", list.string(), number));
    samples.push_back({path.stem().string(), {std::move(path)}});
  }
  if (samples.empty()) throw_user_error("'{}' lists no samples", list.string());
  return samples;
}

std::vector<DatasetSample> list_one(const std::string& source) {
  const fs::path path = source;
  std::error_code ec;
  if (fs::is_directory(path, ec)) return list_directory(path);
  if (has_extension(path, ".info")) {
    require_regular_file(path, "--input list");
    return list_info(path);
  }
  if (!fs::exists(path, ec)) throw_user_error("--input '{}' does not exist", source);
  throw_user_error("--input '{}': expected a directory of .bin/.npy files or an .info list",
                   source);
}

void check_unique_stems(const std::vector<DatasetSample>& samples, const std::string& source) {
  std::set<std::string> seen;
  for (const DatasetSample& s : samples) {
    if (!seen.insert(s.stem).second) {
      throw_user_error(
          "--input '{}': two samples are named '{}'; their outputs would overwrite each other",
          source, s.stem);
    }
  }
}

}  // namespace

TensorSignature sample_signature(const TensorSignature& batched) {
  if (batched.shape.rank() == 0) {
    throw_user_error("the model's '{}' is a scalar; a dataset needs a batch dimension",
                     batched.name);
  }
  const auto& dims = batched.shape.dims();
  return {batched.name, batched.dtype,
          Shape(std::vector<std::int64_t>(dims.begin() + 1, dims.end()))};
}

bool is_dataset_spec(const std::string& spec) {
  const std::size_t eq = spec.find('=');
  const std::string source = eq == std::string::npos ? spec : spec.substr(eq + 1);
  std::error_code ec;
  return fs::is_directory(source, ec) || has_extension(source, ".info");
}

std::vector<DatasetSample> list_dataset(const std::vector<std::string>& specs,
                                        const std::vector<TensorSignature>& inputs) {
  if (specs.empty()) throw_user_error("no --input dataset given");
  // One source per input, matched by stem.
  std::vector<std::map<std::string, fs::path>> by_input(inputs.size());
  std::vector<std::string> order;  // stems in the first input's order
  std::vector<std::string> source_of(inputs.size());
  for (const std::string& text : specs) {
    const InputSpec spec = parse_input_spec(text, inputs, "NAME=DIR");
    if (!source_of[spec.input].empty()) {
      throw_user_error("--input: '{}' is given twice", inputs[spec.input].name);
    }
    source_of[spec.input] = text;
    std::vector<DatasetSample> samples = list_one(spec.source);
    check_unique_stems(samples, text);
    for (DatasetSample& s : samples) {
      if (spec.input == 0) order.push_back(s.stem);
      by_input[spec.input].emplace(s.stem, std::move(s.files[0]));
    }
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (source_of[i].empty()) {
      throw_user_error("no --input dataset for the model's input '{}'", inputs[i].name);
    }
  }
  std::vector<DatasetSample> samples;
  samples.reserve(order.size());
  for (const std::string& stem : order) {
    DatasetSample sample{stem, {}};
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      auto it = by_input[i].find(stem);
      if (it == by_input[i].end()) {
        throw_user_error("--input '{}' has no sample '{}' (found in '{}')", source_of[i], stem,
                         source_of[0]);
      }
      sample.files.push_back(it->second);
    }
    samples.push_back(std::move(sample));
  }
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    for (const auto& [stem, path] : by_input[i]) {
      if (!by_input[0].contains(stem)) {
        throw_user_error("--input '{}' has sample '{}' that '{}' lacks", source_of[i], stem,
                         source_of[0]);
      }
    }
  }
  return samples;
}

Tensor read_sample(const fs::path& path, const TensorSignature& sample) {
  require_regular_file(path, "sample");
  const std::size_t expected =
      static_cast<std::size_t>(sample.shape.numel()) * dtype_size(sample.dtype);
  if (has_extension(path, ".npy")) {
    Tensor tensor = read_npy(path);
    const auto& dims = tensor.shape().dims();
    const bool same_shape =
        tensor.shape() == sample.shape ||
        (!dims.empty() && dims[0] == 1 &&
         Shape(std::vector<std::int64_t>(dims.begin() + 1, dims.end())) == sample.shape);
    if (tensor.dtype() != sample.dtype || !same_shape) {
      throw_user_error("'{}' holds {}, the model's input '{}' takes one sample of {}{}",
                       path.string(), tensor.description(), sample.name, dtype_name(sample.dtype),
                       sample.shape.to_string());
    }
    return tensor.reshaped(sample.shape);
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw_user_error("cannot open '{}': {}", path.string(), std::strerror(errno));
  const auto size = static_cast<std::size_t>(in.tellg());
  if (size != expected) {
    throw_user_error(
        "'{}' has {} bytes; the model's input '{}' takes one sample of {}{} = {} bytes "
        "(wrong model, shape or dtype?)",
        path.string(), size, sample.name, dtype_name(sample.dtype), sample.shape.to_string(),
        expected);
  }
  Tensor tensor(sample.dtype, sample.shape);
  in.seekg(0);
  in.read(static_cast<char*>(tensor.raw()), static_cast<std::streamsize>(expected));
  if (!in) throw_user_error("error while reading '{}'", path.string());
  return tensor;
}

}  // namespace kiln::bench
