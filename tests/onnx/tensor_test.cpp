// Initializers, Constant nodes, tensor attributes and external data.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "kiln/core/file_io.h"
#include "kiln/onnx/import.h"
#include "onnx/model_builder.h"

namespace kiln::onnx::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A model whose output is Identity(initializer `tensor`), so the initializer is used.
ModelBuilder model_reading(TensorProto tensor) {
  ModelBuilder b(13);
  const std::string name = tensor.name();
  const int type = tensor.data_type();
  b.initializer(std::move(tensor));
  b.node("Identity", {name}, {"y"});
  b.output("y", type);
  return b;
}

const Tensor& imported_constant(const ImportedModel& m, const std::string& name) {
  const ir::Value* v = m.graph.find_value(name);
  if (v == nullptr || !v->is_constant()) throw std::runtime_error("no constant " + name);
  return v->constant();
}

template <typename T>
std::vector<T> values_of(const Tensor& t) {
  return {static_cast<const T*>(t.raw()), static_cast<const T*>(t.raw()) + t.numel()};
}

TEST(Initializers, FloatRawAndTypedAgree) {
  const std::vector<float> values = {1.5f, -2.f, 0.f, 3.25f, 7.f, -0.5f};
  ImportedModel typed = model_reading(float_tensor("w", {2, 3}, values)).import();
  ImportedModel raw = model_reading(raw_tensor("w", TensorProto::FLOAT, {2, 3}, values)).import();
  for (const ImportedModel* m : {&typed, &raw}) {
    const Tensor& t = imported_constant(*m, "w");
    EXPECT_EQ(t.description(), "float32[2,3]");
    EXPECT_EQ(values_of<float>(t), values);
  }
}

TEST(Initializers, Float16RawAndInInt32Data) {
  const std::vector<std::uint16_t> bits = {float_to_half(1.f), float_to_half(-0.5f),
                                           float_to_half(65504.f)};
  TensorProto typed;
  typed.set_name("h");
  typed.set_data_type(TensorProto::FLOAT16);
  typed.add_dims(3);
  for (std::uint16_t b : bits) typed.add_int32_data(b);  // one half's bit pattern per int32
  for (TensorProto proto : {typed, raw_tensor("h", TensorProto::FLOAT16, {3}, bits)}) {
    ImportedModel m = model_reading(proto).import();
    const Tensor& t = imported_constant(m, "h");
    EXPECT_EQ(t.dtype(), DType::kFloat16);
    EXPECT_EQ(values_of<std::uint16_t>(t), bits);
    EXPECT_EQ(values_of<float>(t.to_float32()), (std::vector<float>{1.f, -0.5f, 65504.f}));
  }
}

TEST(Initializers, SmallIntegerTypesAndBoolFromInt32Data) {
  struct Case {
    int type;
    DType dtype;
    std::vector<std::int32_t> stored;
    std::vector<std::int64_t> expected;
  };
  const Case cases[] = {
      {TensorProto::INT8, DType::kInt8, {-128, 0, 127}, {-128, 0, 127}},
      {TensorProto::UINT8, DType::kUInt8, {0, 200, 255}, {0, 200, 255}},
      {TensorProto::BOOL, DType::kBool, {1, 0, 1}, {1, 0, 1}},
      {TensorProto::INT32, DType::kInt32, {-70000, 0, 70000}, {-70000, 0, 70000}},
  };
  for (const Case& c : cases) {
    TensorProto t;
    t.set_name("t");
    t.set_data_type(c.type);
    t.add_dims(3);
    for (std::int32_t v : c.stored) t.add_int32_data(v);
    ImportedModel m = model_reading(t).import();
    const Tensor& tensor = imported_constant(m, "t");
    EXPECT_EQ(tensor.dtype(), c.dtype);
    EXPECT_EQ(tensor.to_int64_vector(), c.expected) << dtype_name(c.dtype);
  }
}

TEST(Initializers, RawBoolsAreNormalisedToZeroAndOne) {
  const std::vector<std::uint8_t> bytes = {0, 1, 2, 255};
  ImportedModel m = model_reading(raw_tensor("b", TensorProto::BOOL, {4}, bytes)).import();
  EXPECT_EQ(values_of<std::uint8_t>(imported_constant(m, "b")),
            (std::vector<std::uint8_t>{0, 1, 1, 1}));
}

TEST(Initializers, Int64AndDoubleRawAndTyped) {
  const std::vector<std::int64_t> ints = {-5, 1LL << 40, 7};
  TensorProto typed_ints = int64_tensor("i", {3}, ints);
  for (TensorProto proto : {typed_ints, raw_tensor("i", TensorProto::INT64, {3}, ints)}) {
    EXPECT_EQ(imported_constant(model_reading(proto).import(), "i").to_int64_vector(), ints);
  }
  const std::vector<double> doubles = {0.1, -1e300, 2.5};
  TensorProto typed_doubles;
  typed_doubles.set_name("d");
  typed_doubles.set_data_type(TensorProto::DOUBLE);
  typed_doubles.add_dims(3);
  for (double v : doubles) typed_doubles.add_double_data(v);
  for (TensorProto proto : {typed_doubles, raw_tensor("d", TensorProto::DOUBLE, {3}, doubles)}) {
    ImportedModel m = model_reading(proto).import();
    const Tensor& t = imported_constant(m, "d");
    EXPECT_EQ(t.dtype(), DType::kFloat64);
    EXPECT_EQ(values_of<double>(t), doubles);
  }
}

TEST(Initializers, ScalarAndEmptyTensors) {
  ImportedModel scalar = model_reading(float_tensor("s", {}, {4.f})).import();
  EXPECT_EQ(imported_constant(scalar, "s").description(), "float32[]");
  ImportedModel empty = model_reading(float_tensor("e", {0, 3}, {})).import();
  EXPECT_EQ(imported_constant(empty, "e").description(), "float32[0,3]");
}

TEST(Initializers, WrongElementCountsAreErrors) {
  EXPECT_THAT(error_of([] {
                model_reading(float_tensor("w", {2, 2}, {1, 2, 3})).import();
              }),
              AllOf(HasSubstr("initializer 'w'"), HasSubstr("3 values in float_data"),
                    HasSubstr("[2,2] needs 4")));
  const std::vector<float> three = {1, 2, 3};
  EXPECT_THAT(error_of([&] {
                model_reading(raw_tensor("w", TensorProto::FLOAT, {2, 2}, three)).import();
              }),
              AllOf(HasSubstr("initializer 'w'"), HasSubstr("12 bytes of raw_data"),
                    HasSubstr("needs 16")));
}

TEST(Initializers, UnsupportedTypeIsNamedWhenUsed) {
  TensorProto t;
  t.set_name("u16");
  t.set_data_type(TensorProto::UINT16);
  t.add_dims(1);
  t.add_int32_data(3);
  EXPECT_THAT(error_of([&] { model_reading(t).import(); }),
              AllOf(HasSubstr("initializer 'u16'"), HasSubstr("UINT16"),
                    HasSubstr("kiln does not support")));

  // An initializer nothing reads is never loaded, whatever its type.
  ModelBuilder b(13);
  b.input("x", {1});
  b.initializer(t);
  b.node("Relu", {"x"}, {"y"});
  b.output("y");
  ImportedModel m = b.import();
  EXPECT_EQ(m.graph.find_value("u16"), nullptr);
}

TEST(Initializers, SparseInitializersAreRefused) {
  ModelBuilder b(13);
  b.input("x", {4});
  auto* sparse = b.proto().mutable_graph()->add_sparse_initializer();
  *sparse->mutable_values() = float_tensor("w", {1}, {2.f});
  *sparse->mutable_indices() = int64_tensor("w_indices", {1}, {3});
  sparse->add_dims(4);
  b.node("Add", {"x", "w"}, {"y"});
  b.output("y");
  EXPECT_THAT(error_of([&] { b.import(); }),
              AllOf(HasSubstr("initializer 'w' is sparse"), HasSubstr("does not support")));
}

TEST(Initializers, OldStyleInputsWithInitializersAreConstants) {
  ModelBuilder b(9);
  b.proto().set_ir_version(3);
  b.input("x", {2});
  b.input("w", {2});  // ir_version 3 exporters list weights as inputs too
  b.initializer(float_tensor("w", {2}, {1.f, 2.f}));
  b.node("Mul", {"x", "w"}, {"y"});
  b.output("y");
  ImportedModel m = b.import();
  ASSERT_EQ(m.graph.inputs().size(), 1u);
  EXPECT_EQ(m.graph.inputs()[0]->name(), "x");
  EXPECT_TRUE(m.graph.find_value("w")->is_constant());
}

// ---- Constant nodes and tensor attributes ----

ImportedModel import_constant_node(const std::function<void(NodeProto&)>& set_value,
                                   int type = TensorProto::FLOAT) {
  ModelBuilder b(13);
  NodeProto& n = b.node("Constant", {}, {"c"}, "const");
  set_value(n);
  b.node("Identity", {"c"}, {"y"});
  b.output("y", type);
  return b.import();
}

TEST(ConstantNodes, EveryValueForm) {
  {
    ImportedModel m = import_constant_node([](NodeProto& n) {
      set_attribute(n, "value", float_tensor("", {2}, {1.f, 2.f}));
    });
    EXPECT_EQ(values_of<float>(imported_constant(m, "c")), (std::vector<float>{1.f, 2.f}));
    EXPECT_EQ(m.graph.node_count(), 1u) << "the Constant node itself is not kept";
  }
  {
    ImportedModel m =
        import_constant_node([](NodeProto& n) { set_attribute(n, "value_float", 2.5f); });
    EXPECT_EQ(imported_constant(m, "c").description(), "float32[]");
    EXPECT_EQ(values_of<float>(imported_constant(m, "c")), (std::vector<float>{2.5f}));
  }
  {
    ImportedModel m = import_constant_node([](NodeProto& n) {
      set_attribute(n, "value_floats", std::vector<float>{1.f, 3.f});
    });
    EXPECT_EQ(imported_constant(m, "c").description(), "float32[2]");
  }
  {
    ImportedModel m = import_constant_node(
        [](NodeProto& n) { set_attribute(n, "value_int", std::int64_t{-3}); }, TensorProto::INT64);
    EXPECT_EQ(imported_constant(m, "c").description(), "int64[]");
    EXPECT_EQ(imported_constant(m, "c").to_int64_vector(), (std::vector<std::int64_t>{-3}));
  }
  {
    ImportedModel m = import_constant_node(
        [](NodeProto& n) {
          set_attribute(n, "value_ints", std::vector<std::int64_t>{4, 5, 6});
        },
        TensorProto::INT64);
    EXPECT_EQ(imported_constant(m, "c").to_int64_vector(), (std::vector<std::int64_t>{4, 5, 6}));
  }
}

TEST(ConstantNodes, SparseAndStringValuesAreRefused) {
  const std::string sparse = error_of([] {
    import_constant_node([](NodeProto& n) {
      AttributeProto* a = n.add_attribute();
      a->set_name("sparse_value");
      a->set_type(AttributeProto::SPARSE_TENSOR);
      *a->mutable_sparse_tensor()->mutable_values() = float_tensor("v", {1}, {1.f});
      a->mutable_sparse_tensor()->mutable_indices()->CopyFrom(int64_tensor("i", {1}, {0}));
      a->mutable_sparse_tensor()->add_dims(4);
    });
  });
  EXPECT_THAT(sparse, AllOf(HasSubstr("node 'const' (Constant, opset 13)"), HasSubstr("sparse")));
  const std::string text = error_of([] {
    import_constant_node([](NodeProto& n) { set_attribute(n, "value_string", std::string("hi")); });
  });
  EXPECT_THAT(text, HasSubstr("string constants"));
}

TEST(TensorAttributes, ConstantOfShapeValueBecomesATensor) {
  ModelBuilder b(13);
  b.constant_ints("shape", {2, 3});
  NodeProto& n = b.node("ConstantOfShape", {"shape"}, {"y"}, "fill");
  set_attribute(n, "value", int64_tensor("", {1}, {7}));
  b.output("y", TensorProto::INT64);
  ImportedModel m = b.import();
  const ir::Node* fill = m.graph.nodes()[0];
  EXPECT_EQ(fill->attr_tensor("value").description(), "int64[1]");
  EXPECT_EQ(fill->attr_tensor("value").to_int64_vector(), (std::vector<std::int64_t>{7}));
  EXPECT_EQ(m.onnx_inferred_shapes.at("y"), (Shape{2, 3}));
}

TEST(TensorAttributes, AttributesOfEveryKind) {
  ModelBuilder b(13);
  b.input("x", {1, 2, 5, 5});
  b.initializer(float_tensor("w", {4, 2, 3, 3}, std::vector<float>(72, 0.f)));
  NodeProto& n = b.node("Conv", {"x", "w"}, {"y"}, "conv");
  set_attribute(n, "kernel_shape", std::vector<std::int64_t>{3, 3});
  set_attribute(n, "group", std::int64_t{1});
  set_attribute(n, "auto_pad", std::string("SAME_UPPER"));
  b.node("LeakyRelu", {"y"}, {"z"}, "leaky");
  set_attribute(*b.proto().mutable_graph()->mutable_node(1), "alpha", 0.25f);
  b.output("z");
  ImportedModel m = b.import();
  const ir::Node* conv = m.graph.nodes()[0];
  EXPECT_EQ(conv->attr_ints("kernel_shape"), (std::vector<std::int64_t>{3, 3}));
  EXPECT_EQ(conv->attr_int("group"), 1);
  EXPECT_EQ(conv->attr_string("auto_pad"), "SAME_UPPER");
  EXPECT_EQ(m.graph.nodes()[1]->attr_float("alpha"), 0.25f);
  EXPECT_EQ(m.onnx_inferred_shapes.at("z"), (Shape{1, 4, 5, 5}));
}

// ---- external data ----

TensorProto external_tensor(const std::string& name, std::vector<std::int64_t> dims,
                            const std::string& location, std::int64_t offset = -1,
                            std::int64_t length = -1) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(TensorProto::FLOAT);
  for (std::int64_t d : dims) t.add_dims(d);
  t.set_data_location(TensorProto::EXTERNAL);
  auto add = [&](const std::string& key, const std::string& value) {
    auto* entry = t.add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  };
  add("location", location);
  if (offset >= 0) add("offset", std::to_string(offset));
  if (length >= 0) add("length", std::to_string(length));
  return t;
}

// Writes model.onnx reading two external tensors from weights.bin into `dir`.
std::filesystem::path write_external_model(const TempDir& dir, TensorProto a, TensorProto b) {
  ModelBuilder builder(13);
  builder.initializer(std::move(a));
  builder.initializer(std::move(b));
  builder.node("Add", {"a", "b"}, {"y"});
  builder.output("y");
  const auto path = dir.path() / "model.onnx";
  write_bytes(path, builder.bytes());
  return path;
}

std::string float_bytes(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

TEST(ExternalData, ReadsTensorsAtTheirOffsets) {
  TempDir dir;
  // a at offset 0 (no offset/length given), b at offset 16 with an explicit length.
  write_bytes(dir.path() / "weights.bin", float_bytes({1, 2, 3, 4, 10, 20, 30, 40}));
  const auto path = write_external_model(dir, external_tensor("a", {2, 2}, "weights.bin"),
                                         external_tensor("b", {2, 2}, "weights.bin", 16, 16));
  ImportedModel m = import_model(path);
  EXPECT_EQ(values_of<float>(imported_constant(m, "a")), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(values_of<float>(imported_constant(m, "b")), (std::vector<float>{10, 20, 30, 40}));

  // The same bytes imported from memory use the given base directory.
  ImportedModel from_bytes = import_model_bytes(read_file(path), "m", dir.path());
  EXPECT_EQ(values_of<float>(imported_constant(from_bytes, "b")),
            (std::vector<float>{10, 20, 30, 40}));
}

TEST(ExternalData, SubdirectoryLocationsWork) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "data");
  write_bytes(dir.path() / "data" / "w.bin", float_bytes({5, 6}));
  const auto path = write_external_model(dir, external_tensor("a", {2}, "data/w.bin"),
                                         external_tensor("b", {2}, "./data/../data/w.bin"));
  ImportedModel m = import_model(path);
  EXPECT_EQ(values_of<float>(imported_constant(m, "b")), (std::vector<float>{5, 6}));
}

TEST(ExternalData, MissingFileNamesTensorAndFile) {
  TempDir dir;
  const auto path = write_external_model(dir, external_tensor("a", {2}, "missing.bin"),
                                         external_tensor("b", {2}, "missing.bin"));
  EXPECT_THAT(
      error_of([&] { import_model(path); }),
      AllOf(HasSubstr("while importing '" + path.string() + "'"), HasSubstr("initializer 'a'"),
            HasSubstr("missing.bin"), HasSubstr("does not exist")));
}

TEST(ExternalData, ShortFileNamesTensorAndFile) {
  TempDir dir;
  write_bytes(dir.path() / "weights.bin", float_bytes({1, 2, 3}));
  const auto path = write_external_model(dir, external_tensor("a", {2}, "weights.bin"),
                                         external_tensor("b", {2}, "weights.bin", 8));
  EXPECT_THAT(error_of([&] { import_model(path); }),
              AllOf(HasSubstr("initializer 'b'"), HasSubstr("weights.bin"), HasSubstr("too short"),
                    HasSubstr("bytes 8 to 16"), HasSubstr("has 12 bytes")));
}

TEST(ExternalData, LengthMustMatchTheTensor) {
  TempDir dir;
  write_bytes(dir.path() / "weights.bin", float_bytes({1, 2, 3, 4}));
  const auto path = write_external_model(dir, external_tensor("a", {2}, "weights.bin", 0, 12),
                                         external_tensor("b", {2}, "weights.bin"));
  EXPECT_THAT(error_of([&] { import_model(path); }),
              AllOf(HasSubstr("initializer 'a'"), HasSubstr("length is 12 bytes")));
}

TEST(ExternalData, PathsEscapingTheModelDirectoryAreRefused) {
  TempDir outer;
  std::filesystem::create_directories(outer.path() / "model");
  write_bytes(outer.path() / "secret.bin", float_bytes({1, 2}));
  TempDir dir;
  for (const std::string& location :
       {std::string("../secret.bin"), std::string("data/../../secret.bin"),
        (outer.path() / "secret.bin").string()}) {
    const auto path = write_external_model(dir, external_tensor("a", {2}, location),
                                           external_tensor("b", {2}, location));
    EXPECT_THAT(error_of([&] { import_model(path); }),
                AllOf(HasSubstr("initializer 'a'"), HasSubstr(location)))
        << location;
  }
}

}  // namespace
}  // namespace kiln::onnx::testing
