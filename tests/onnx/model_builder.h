#pragma once

// Builds small ONNX ModelProtos in C++ for the importer's tests.

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <variant>
#include <vector>

#include "kiln/onnx/import.h"

namespace kiln::onnx::testing {

using ::onnx::AttributeProto;
using ::onnx::NodeProto;
using ::onnx::TensorProto;

/// One dim of a declared input shape: a size or a symbol ("batch").
using Dim = std::variant<std::int64_t, std::string>;

/// A fresh directory under the system temp dir, removed when the object goes.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("kiln_onnx_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

inline void set_attribute(NodeProto& node, const std::string& name, std::int64_t value) {
  AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::INT);
  a->set_i(value);
}
inline void set_attribute(NodeProto& node, const std::string& name, float value) {
  AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::FLOAT);
  a->set_f(value);
}
inline void set_attribute(NodeProto& node, const std::string& name, const std::string& value) {
  AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::STRING);
  a->set_s(value);
}
inline void set_attribute(NodeProto& node, const std::string& name,
                          const std::vector<std::int64_t>& values) {
  AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::INTS);
  for (std::int64_t v : values) a->add_ints(v);
}
inline void set_attribute(NodeProto& node, const std::string& name,
                          const std::vector<float>& values) {
  AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::FLOATS);
  for (float v : values) a->add_floats(v);
}
inline void set_attribute(NodeProto& node, const std::string& name, const TensorProto& value) {
  AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::TENSOR);
  *a->mutable_t() = value;
}

/// A TensorProto with float_data.
inline TensorProto float_tensor(const std::string& name, std::vector<std::int64_t> dims,
                                std::vector<float> values) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(TensorProto::FLOAT);
  for (std::int64_t d : dims) t.add_dims(d);
  for (float v : values) t.add_float_data(v);
  return t;
}

/// A TensorProto with int64_data.
inline TensorProto int64_tensor(const std::string& name, std::vector<std::int64_t> dims,
                                std::vector<std::int64_t> values) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(TensorProto::INT64);
  for (std::int64_t d : dims) t.add_dims(d);
  for (std::int64_t v : values) t.add_int64_data(v);
  return t;
}

/// A TensorProto holding `values` as little-endian raw_data.
template <typename T>
TensorProto raw_tensor(const std::string& name, int data_type, std::vector<std::int64_t> dims,
                       const std::vector<T>& values) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(data_type);
  for (std::int64_t d : dims) t.add_dims(d);
  t.set_raw_data(values.data(), values.size() * sizeof(T));
  return t;
}

/// A ModelProto under construction: ir_version 7, one default-domain opset.
class ModelBuilder {
 public:
  explicit ModelBuilder(std::int64_t opset = 13) {
    model_.set_ir_version(7);
    model_.set_producer_name("kiln-test");
    model_.set_producer_version("1.0");
    auto* import = model_.add_opset_import();
    import->set_domain("");
    import->set_version(opset);
    model_.mutable_graph()->set_name("test");
  }

  /// Declares a graph input with a shape.
  ::onnx::ValueInfoProto& input(const std::string& name, std::vector<Dim> dims,
                                int elem_type = TensorProto::FLOAT) {
    auto& info = *model_.mutable_graph()->add_input();
    info.set_name(name);
    auto* tensor_type = info.mutable_type()->mutable_tensor_type();
    tensor_type->set_elem_type(elem_type);
    auto* shape = tensor_type->mutable_shape();
    for (const Dim& d : dims) {
      auto* dim = shape->add_dim();
      if (const auto* value = std::get_if<std::int64_t>(&d)) {
        dim->set_dim_value(*value);
      } else {
        dim->set_dim_param(std::get<std::string>(d));
      }
    }
    return info;
  }

  /// Declares a graph output. ONNX's checker wants a shape on every graph output; the
  /// importer ignores declared output shapes, so the default is an empty (rank-0) one.
  void output(const std::string& name, int elem_type = TensorProto::FLOAT,
              std::vector<std::int64_t> dims = {}) {
    auto& info = *model_.mutable_graph()->add_output();
    info.set_name(name);
    auto* tensor_type = info.mutable_type()->mutable_tensor_type();
    tensor_type->set_elem_type(elem_type);
    auto* shape = tensor_type->mutable_shape();
    for (std::int64_t d : dims) shape->add_dim()->set_dim_value(d);
  }

  NodeProto& node(const std::string& op_type, std::initializer_list<std::string> inputs,
                  std::initializer_list<std::string> outputs, const std::string& name = "") {
    NodeProto& n = *model_.mutable_graph()->add_node();
    n.set_op_type(op_type);
    n.set_name(name);
    for (const auto& i : inputs) n.add_input(i);
    for (const auto& o : outputs) n.add_output(o);
    return n;
  }

  TensorProto& initializer(TensorProto tensor) {
    TensorProto& t = *model_.mutable_graph()->add_initializer();
    t = std::move(tensor);
    return t;
  }

  /// A Constant node holding `tensor` (named after its output).
  void constant(const std::string& output, TensorProto tensor) {
    NodeProto& n = node("Constant", {}, {output}, output + "_node");
    set_attribute(n, "value", tensor);
  }
  void constant_ints(const std::string& output, std::vector<std::int64_t> values) {
    constant(output, int64_tensor(output, {static_cast<std::int64_t>(values.size())}, values));
  }

  ::onnx::ModelProto& proto() { return model_; }
  std::string bytes() const { return model_.SerializeAsString(); }

  /// Imports the model from memory; external data is looked for in `base_dir`.
  ImportedModel import(const ImportOptions& options = {},
                       const std::filesystem::path& base_dir = ".") const {
    return import_model_bytes(bytes(), "test.onnx", base_dir, options);
  }

 private:
  ::onnx::ModelProto model_;
};

/// The nodes of `graph` with op `op`, in order.
inline std::vector<ir::Node*> nodes_of(const ir::Graph& graph, ir::OpKind op) {
  std::vector<ir::Node*> out;
  for (ir::Node* n : graph.nodes()) {
    if (n->op() == op) out.push_back(n);
  }
  return out;
}

/// A constant input's values as int64 (fails the test when it is not a constant).
inline std::vector<std::int64_t> constant_ints(const ir::Node& node, std::size_t input) {
  const ir::Value* v = node.input(input);
  if (v == nullptr || !v->is_constant()) {
    ADD_FAILURE() << node.describe() << " input " << input << " is not a constant";
    return {};
  }
  return v->constant().to_int64_vector();
}

/// A constant input's values as float32.
inline std::vector<float> constant_floats(const ir::Node& node, std::size_t input) {
  const ir::Value* v = node.input(input);
  if (v == nullptr || !v->is_constant()) {
    ADD_FAILURE() << node.describe() << " input " << input << " is not a constant";
    return {};
  }
  Tensor f = v->constant().to_float32();
  return {f.data<float>(), f.data<float>() + f.numel()};
}

/// The message of the user Error `body` throws ("" and a test failure when it throws none, or
/// throws an internal error or a multi-line message).
template <typename Body>
std::string error_of(Body&& body) {
  try {
    body();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUser) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "not one line: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected a kiln::Error";
  return "";
}

}  // namespace kiln::onnx::testing
