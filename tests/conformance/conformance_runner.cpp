// Runs the ONNX backend node tests (Debian's libonnx-testdata) through kiln: every case whose ops
// kiln supports is imported, compiled for the case's input shapes, run, and compared with the
// stored outputs (|kiln - expected| <= atol + rtol * |expected|, rtol 1e-3, atol 1e-5).
// Prints one line per case and a summary; exits 1 if any supported case fails.
//
// usage: conformance_runner DATA_DIR [SKIP_LIST] [--filter SUBSTRING] [--verbose]

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "kiln/core/file_io.h"
#include "kiln/onnx/canonicalize.h"
#include "kiln/onnx/import.h"
#include "kiln/onnx/tensor_proto.h"
#include "kiln/runtime/session.h"

namespace fs = std::filesystem;

namespace {

constexpr double kRelativeTolerance = 1e-3;
constexpr double kAbsoluteTolerance = 1e-5;

// "test_name  reason" per line; '#' starts a comment.
std::map<std::string, std::string> read_skip_list(const fs::path& path) {
  std::map<std::string, std::string> skips;
  if (path.empty()) return skips;
  std::ifstream in(path);
  if (!in) throw kiln::Error(kiln::ErrorKind::kUser, "cannot read skip list " + path.string());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.find_first_of(" \t");
    const std::string name = line.substr(0, space);
    std::string reason = space == std::string::npos ? "" : line.substr(space);
    reason.erase(0, reason.find_first_not_of(" \t"));
    skips[name] = reason;
  }
  return skips;
}

kiln::Tensor read_tensor(const fs::path& path) {
  ::onnx::TensorProto proto;
  const std::string bytes = kiln::read_file(path);
  if (!proto.ParseFromString(bytes)) {
    throw kiln::Error(kiln::ErrorKind::kUser, "cannot parse tensor " + path.string());
  }
  return kiln::onnx::tensor_from_proto(proto, {path.parent_path()}, path.string());
}

// The first op kiln cannot import, or empty when it can import them all.
std::string unsupported_op(const fs::path& model_path) {
  ::onnx::ModelProto model;
  const std::string bytes = kiln::read_file(model_path);
  if (!model.ParseFromString(bytes)) return "<unparsable model>";
  for (const auto& opset : model.opset_import()) {
    if (!opset.domain().empty() && opset.domain() != "ai.onnx") return "domain " + opset.domain();
  }
  for (const auto& node : model.graph().node()) {
    if (!kiln::onnx::is_supported_onnx_op(node.op_type())) return node.op_type();
  }
  return {};
}

std::string compare(const kiln::Tensor& actual, const kiln::Tensor& expected) {
  if (actual.shape() != expected.shape()) {
    return "shape " + actual.shape().to_string() + " != expected " + expected.shape().to_string();
  }
  if (!kiln::is_floating(expected.dtype())) {
    if (actual.dtype() != expected.dtype()) return "dtype differs";
    return actual.to_int64_vector() == expected.to_int64_vector() ? "" : "values differ";
  }
  const kiln::Tensor a = actual.to_float32();
  const kiln::Tensor e = expected.to_float32();
  for (std::int64_t i = 0; i < e.numel(); ++i) {
    const double x = a.data<float>()[i];
    const double y = e.data<float>()[i];
    if (std::isnan(x) && std::isnan(y)) continue;
    if (std::isinf(y) && x == y) continue;
    if (!(std::fabs(x - y) <= kAbsoluteTolerance + kRelativeTolerance * std::fabs(y))) {
      char message[160];
      std::snprintf(message, sizeof message, "element %lld: %.7g, expected %.7g",
                    static_cast<long long>(i), x, y);
      return message;
    }
  }
  return {};
}

// kiln compiles for static shapes, so parameters that decide shapes (Reshape's shape, Slice's
// starts, Resize's scales, ...) must be constants. The node tests feed them as graph inputs;
// the runner freezes those inputs to the data set's values, as a user would.
bool is_shape_parameter(const std::string& op, int input_index) {
  static const std::map<std::string, std::set<int>> kSlots = {
      {"Reshape", {1}},     {"Expand", {1}},       {"Tile", {1}},     {"Slice", {1, 2, 3, 4}},
      {"Pad", {1, 2}},      {"Resize", {1, 2, 3}}, {"Upsample", {1}}, {"Split", {1}},
      {"Squeeze", {1}},     {"Unsqueeze", {1}},    {"TopK", {1}},     {"ConstantOfShape", {0}},
      {"Range", {0, 1, 2}}, {"ReduceSum", {1}},
  };
  auto it = kSlots.find(op);
  return it != kSlots.end() && it->second.contains(input_index);
}

struct CaseInputs {
  std::vector<std::string> names;  // graph inputs that are not initializers, in order
  std::set<std::string> frozen;    // those feeding a shape parameter
};

CaseInputs case_inputs(const fs::path& model_path) {
  ::onnx::ModelProto model;
  model.ParseFromString(kiln::read_file(model_path));
  CaseInputs result;
  std::set<std::string> initializers;
  for (const auto& initializer : model.graph().initializer())
    initializers.insert(initializer.name());
  for (const auto& input : model.graph().input()) {
    if (!initializers.contains(input.name())) result.names.push_back(input.name());
  }
  for (const auto& node : model.graph().node()) {
    for (int i = 0; i < node.input_size(); ++i) {
      if (is_shape_parameter(node.op_type(), i)) result.frozen.insert(node.input(i));
    }
  }
  return result;
}

// Runs every test_data_set of one case; returns an empty string on success, else why not.
std::string run_case(const fs::path& case_dir) {
  const CaseInputs case_info = case_inputs(case_dir / "model.onnx");
  std::vector<fs::path> data_sets;
  for (const auto& entry : fs::directory_iterator(case_dir)) {
    if (entry.is_directory() && entry.path().filename().string().starts_with("test_data_set_")) {
      data_sets.push_back(entry.path());
    }
  }
  std::sort(data_sets.begin(), data_sets.end());
  if (data_sets.empty()) return "no test_data_set";
  for (const fs::path& data_set : data_sets) {
    std::vector<kiln::Tensor> inputs;
    std::vector<kiln::Tensor> expected;
    for (int i = 0;; ++i) {
      const fs::path file = data_set / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(file)) break;
      inputs.push_back(read_tensor(file));
    }
    for (int i = 0;; ++i) {
      const fs::path file = data_set / ("output_" + std::to_string(i) + ".pb");
      if (!fs::exists(file)) break;
      expected.push_back(read_tensor(file));
    }
    kiln::SessionOptions options;
    options.threads = 1;
    // Compile for the shapes of this data set's inputs.
    if (case_info.names.size() != inputs.size()) {
      return "model has " + std::to_string(case_info.names.size()) + " inputs, data set has " +
             std::to_string(inputs.size());
    }
    std::vector<kiln::Tensor> runtime_inputs;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const std::string& name = case_info.names[i];
      if (case_info.frozen.contains(name)) {
        options.import.constant_inputs[name] = inputs[i];
      } else {
        options.import.input_shapes[name] = inputs[i].shape().dims();
        runtime_inputs.push_back(inputs[i]);
      }
    }
    kiln::Session session = kiln::Session::from_onnx(case_dir / "model.onnx", options);
    std::vector<kiln::Tensor> actual = session.run(runtime_inputs);
    if (actual.size() != expected.size()) {
      return "kiln gives " + std::to_string(actual.size()) + " outputs, expected " +
             std::to_string(expected.size());
    }
    for (std::size_t i = 0; i < actual.size(); ++i) {
      std::string difference = compare(actual[i], expected[i]);
      if (!difference.empty()) {
        return data_set.filename().string() + " output " + std::to_string(i) + ": " + difference;
      }
    }
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR [SKIP_LIST] [--filter SUBSTRING] [--verbose]\n",
                 argv[0]);
    return 2;
  }
  const fs::path data_dir = argv[1];
  fs::path skip_list;
  std::string filter;
  bool verbose = false;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--filter" && i + 1 < argc) {
      filter = argv[++i];
    } else if (arg == "--verbose") {
      verbose = true;
    } else {
      skip_list = arg;
    }
  }
  std::map<std::string, std::string> skips;
  try {
    skips = read_skip_list(skip_list);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  if (!fs::is_directory(data_dir)) {
    std::fprintf(stderr, "conformance: no test data at %s (install libonnx-testdata)\n",
                 data_dir.string().c_str());
    return 2;
  }
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(data_dir)) {
    if (fs::exists(entry.path() / "model.onnx")) cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());

  int passed = 0, failed = 0, unsupported = 0, skipped = 0;
  std::map<std::string, int> unsupported_ops;
  std::set<std::string> stale_skips;
  for (const auto& [name, reason] : skips) stale_skips.insert(name);
  for (const fs::path& case_dir : cases) {
    const std::string name = case_dir.filename().string();
    if (!filter.empty() && name.find(filter) == std::string::npos) continue;
    stale_skips.erase(name);
    if (auto it = skips.find(name); it != skips.end()) {
      ++skipped;
      std::printf("SKIP        %s: %s\n", name.c_str(), it->second.c_str());
      continue;
    }
    if (const std::string op = unsupported_op(case_dir / "model.onnx"); !op.empty()) {
      ++unsupported;
      ++unsupported_ops[op];
      if (verbose) std::printf("UNSUPPORTED %s: %s\n", name.c_str(), op.c_str());
      continue;
    }
    std::string failure;
    try {
      failure = run_case(case_dir);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (failure.empty()) {
      ++passed;
      if (verbose) std::printf("PASS        %s\n", name.c_str());
    } else {
      ++failed;
      std::printf("FAIL        %s: %s\n", name.c_str(), failure.c_str());
    }
  }
  std::printf("unsupported ops (cases):");
  for (const auto& [op, count] : unsupported_ops) std::printf(" %s(%d)", op.c_str(), count);
  std::printf("\n");
  if (filter.empty()) {
    for (const std::string& name : stale_skips) {
      std::printf("note: skip-list entry %s names no test case\n", name.c_str());
    }
  }
  std::printf("conformance: %d passed, %d failed, %d unsupported, %d skipped\n", passed, failed,
              unsupported, skipped);
  return failed == 0 ? 0 : 1;
}
