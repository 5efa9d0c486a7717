// Imports the real ONNX files Debian ships in libonnx-testdata: ONNX's backend node tests and the
// models PyTorch exported for ONNX's test suite. Every model whose ops kiln supports must import
// with its inputs typed as the stored test inputs; the rest must fail with a known reason.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "kiln/core/file_io.h"
#include "kiln/onnx/import.h"
#include "kiln/onnx/tensor_proto.h"
#include "onnx/model_builder.h"

namespace kiln::onnx::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kTestData = "/usr/share/libonnx-testdata/data";

// Why kiln may refuse a test model: anything else is a bug.
constexpr std::string_view kKnownRefusals[] = {
    "operator not supported by kiln",
    "which kiln does not support",  // a data type kiln lacks (string, uint16, bfloat16, ...)
    "is used, but kiln",            // training outputs: BatchNorm statistics, Dropout mask, ...
    "training_mode",                // Dropout / BatchNormalization in training mode
    "of the default ONNX domain is not supported",  // opsets 1..6 (PyTorch's 2017 exports)
    "imports no opset of the default ONNX domain",  // ai.onnx.preview.training models
    "kiln supports only the default ONNX domain",   // Gradient and other non-ONNX ops
    "is not a tensor",                              // sequence and optional inputs
};

std::vector<fs::path> model_dirs(const std::string& suite) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kTestData / suite, ec)) {
    if (fs::exists(entry.path() / "model.onnx")) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

Tensor read_tensor_pb(const fs::path& path) {
  TensorProto proto;
  const std::string bytes = read_file(path);
  if (!proto.ParseFromString(bytes)) throw std::runtime_error("cannot parse " + path.string());
  return tensor_from_proto(proto, ExternalDataDir{path.parent_path()}, path.string());
}

// The stored inputs and outputs of test_data_set_0, in order; empty when a tensor's dtype is
// not a kiln dtype (the import is then expected to refuse the model anyway).
struct TestData {
  std::vector<Tensor> inputs;
  std::vector<Tensor> outputs;
  bool readable = true;
};

TestData read_test_data(const fs::path& dir) {
  TestData data;
  const fs::path set = dir / "test_data_set_0";
  for (const char* kind : {"input", "output"}) {
    for (int i = 0;; ++i) {
      const fs::path file = set / fmt::format("{}_{}.pb", kind, i);
      if (!fs::exists(file)) break;
      try {
        (std::string_view(kind) == "input" ? data.inputs : data.outputs)
            .push_back(read_tensor_pb(file));
      } catch (const Error&) {
        data.readable = false;
      }
    }
  }
  return data;
}

// The model's run-time input names (graph inputs that are not initializers), in order.
std::vector<std::string> runtime_input_names(const fs::path& model_path) {
  ::onnx::ModelProto model;
  const std::string bytes = read_file(model_path);
  model.ParseFromString(bytes);
  std::set<std::string> initializers;
  for (const auto& init : model.graph().initializer()) initializers.insert(init.name());
  std::vector<std::string> names;
  for (const auto& input : model.graph().input()) {
    if (!initializers.contains(input.name())) names.push_back(input.name());
  }
  return names;
}

struct SuiteResult {
  int imported = 0;
  int outputs_checked = 0;  // outputs whose ONNX-inferred shape matched the stored output
  int unsupported = 0;
  std::map<std::string, int> unsupported_ops;
  std::map<std::string, int> refusals;
  std::vector<std::string> failures;
};

bool is_known_refusal(const std::string& message) {
  return std::any_of(
      std::begin(kKnownRefusals), std::end(kKnownRefusals),
      [&](std::string_view reason) { return message.find(reason) != std::string::npos; });
}

// Imports one test model with its stored inputs' shapes. Inputs other than the first are
// retried as constants when kiln needs them at compile time (ReduceSum's axes, ...).
void import_test_model(const fs::path& dir, SuiteResult& result) {
  const fs::path model_path = dir / "model.onnx";
  const TestData data = read_test_data(dir);
  const std::vector<std::string> names = runtime_input_names(model_path);
  ImportOptions options;
  if (data.readable && data.inputs.size() == names.size()) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      options.input_shapes[names[i]] = data.inputs[i].shape().dims();
    }
  }
  ImportedModel m;
  try {
    try {
      m = import_model(model_path, options);
    } catch (const Error& e) {
      if (std::string(e.what()).find("as a constant") == std::string::npos) throw;
      ImportOptions constant_options;
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (i == 0) {
          constant_options.input_shapes[names[i]] = data.inputs[i].shape().dims();
        } else {
          constant_options.constant_inputs[names[i]] = data.inputs[i];
        }
      }
      m = import_model(model_path, constant_options);
    }
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.find("operator not supported by kiln") != std::string::npos) {
      ++result.unsupported;
      const std::size_t open = message.find("' (");
      ++result.unsupported_ops[message.substr(open + 3, message.find(',', open) - open - 3)];
    } else if (is_known_refusal(message)) {
      ++result.refusals[message.substr(message.find(": ") + 2)];
    } else {
      result.failures.push_back(message);
    }
    return;
  }
  ++result.imported;
  if (!data.readable) {
    result.failures.push_back(dir.string() + ": imported, but its test data has kiln-less dtypes");
    return;
  }
  // Every run-time input is typed exactly as the stored input.
  for (const ir::Value* input : m.graph.inputs()) {
    auto it = std::find(names.begin(), names.end(), input->name());
    if (it == names.end()) {
      result.failures.push_back(
          fmt::format("{}: unexpected input '{}'", dir.string(), input->name()));
      continue;
    }
    const Tensor& stored = data.inputs[static_cast<std::size_t>(it - names.begin())];
    if (input->dtype() != stored.dtype() || input->shape() != stored.shape()) {
      result.failures.push_back(fmt::format("{}: input '{}' is {}, the test data {}", dir.string(),
                                            input->name(), input->type_string(),
                                            stored.description()));
    }
  }
  // ONNX's inferred output shapes, where it found them, are those of the stored outputs.
  if (m.graph.outputs().size() != data.outputs.size()) {
    result.failures.push_back(fmt::format("{}: {} outputs, the test data has {}", dir.string(),
                                          m.graph.outputs().size(), data.outputs.size()));
    return;
  }
  for (std::size_t i = 0; i < data.outputs.size(); ++i) {
    const std::string& name = m.graph.outputs()[i]->name();
    auto it = m.onnx_inferred_shapes.find(name);
    if (it == m.onnx_inferred_shapes.end()) continue;
    if (it->second != data.outputs[i].shape()) {
      result.failures.push_back(fmt::format("{}: output '{}' inferred as {}, the test data has {}",
                                            dir.string(), name, it->second.to_string(),
                                            data.outputs[i].shape().to_string()));
    } else {
      ++result.outputs_checked;
    }
  }
}

SuiteResult import_suite(const std::string& suite) {
  SuiteResult result;
  for (const fs::path& dir : model_dirs(suite)) import_test_model(dir, result);
  std::cout << fmt::format(
      "[ {} ] imported {} (output shapes checked {}), unsupported ops {}, refused {}, failed {}\n",
      suite, result.imported, result.outputs_checked, result.unsupported, result.refusals.size(),
      result.failures.size());
  std::vector<std::string> ops;
  for (const auto& [op, count] : result.unsupported_ops)
    ops.push_back(fmt::format("{} x{}", op, count));
  if (!ops.empty()) std::cout << fmt::format("    unsupported: {}\n", fmt::join(ops, ", "));
  for (const auto& [reason, count] : result.refusals) {
    std::cout << fmt::format("    refused x{}: {}\n", count, reason);
  }
  return result;
}

void expect_no_failures(const SuiteResult& result) {
  for (const std::string& failure : result.failures) ADD_FAILURE() << failure;
}

class LibonnxTestData : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kTestData)) GTEST_SKIP() << kTestData << " missing: install libonnx-testdata";
  }
};

TEST_F(LibonnxTestData, NodeTests) {
  const SuiteResult result = import_suite("node");
  expect_no_failures(result);
  // About half of ONNX's operator tests are of ops kiln has; a drop means the importer broke.
  EXPECT_GE(result.imported, 450);
  EXPECT_GE(result.outputs_checked, 350);
}

// PyTorch's exports in libonnx-testdata date from 2017: all but two are opset 6, which kiln
// refuses (it supports opsets 7 to 17). The refusal must be exactly that, one line naming it.
void expect_only_opset6_refusals(const SuiteResult& result) {
  for (const auto& [reason, count] : result.refusals) {
    EXPECT_THAT(reason, ::testing::HasSubstr("opset 6 of the default ONNX domain"));
  }
  EXPECT_EQ(result.unsupported, 0);
}

TEST_F(LibonnxTestData, PyTorchConvertedModels) {
  const SuiteResult result = import_suite("pytorch-converted");
  expect_no_failures(result);
  expect_only_opset6_refusals(result);
  EXPECT_EQ(result.imported, 2);  // the opset-12 MaxPool exports
}

TEST_F(LibonnxTestData, PyTorchOperatorModels) {
  const SuiteResult result = import_suite("pytorch-operator");
  expect_no_failures(result);
  expect_only_opset6_refusals(result);
}

TEST_F(LibonnxTestData, SimpleModels) {
  const SuiteResult result = import_suite("simple");
  expect_no_failures(result);
  EXPECT_GE(result.imported, 6);
}

}  // namespace
}  // namespace kiln::onnx::testing
