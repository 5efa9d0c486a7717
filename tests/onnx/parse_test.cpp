// Reading ONNX files: bad files, the checker, opsets and domains, unsupported ops, --shape.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kiln/onnx/import.h"
#include "onnx/model_builder.h"

namespace kiln::onnx::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// x -> Relu -> y, the smallest valid model.
ModelBuilder relu_model(std::int64_t opset = 13) {
  ModelBuilder b(opset);
  b.input("x", {2, 3});
  b.node("Relu", {"x"}, {"y"}, "relu");
  b.output("y");
  return b;
}

TEST(Parse, ImportsAFileAndRecordsModelFacts) {
  TempDir dir;
  const auto path = dir.path() / "relu.onnx";
  write_bytes(path, relu_model(11).bytes());
  ImportedModel m = import_model(path);
  EXPECT_EQ(m.opset, 11);
  EXPECT_EQ(m.ir_version, 7);
  EXPECT_EQ(m.producer, "kiln-test 1.0");
  ASSERT_EQ(m.graph.node_count(), 1u);
  EXPECT_EQ(m.graph.nodes()[0]->op(), ir::OpKind::kRelu);
  EXPECT_EQ(m.graph.nodes()[0]->name(), "relu");
  ASSERT_EQ(m.graph.inputs().size(), 1u);
  EXPECT_EQ(m.graph.inputs()[0]->type_string(), "float32[2,3]");
  ASSERT_EQ(m.graph.outputs().size(), 1u);
  EXPECT_EQ(m.graph.outputs()[0]->name(), "y");
  EXPECT_EQ(m.onnx_inferred_shapes.at("y"), (Shape{2, 3}));
  EXPECT_TRUE(m.warnings.empty());
}

TEST(Parse, MissingFileIsNamed) {
  const std::string message = error_of([] { import_model("/nonexistent/dir/model.onnx"); });
  EXPECT_THAT(message, AllOf(StartsWith("while importing '/nonexistent/dir/model.onnx'"),
                             HasSubstr("cannot open")));
}

TEST(Parse, DirectoryIsRefused) {
  TempDir dir;
  EXPECT_THAT(error_of([&] { import_model(dir.path()); }), HasSubstr("is a directory"));
}

TEST(Parse, TextFileIsNotOnnx) {
  TempDir dir;
  const auto path = dir.path() / "notes.onnx";
  write_bytes(path, "this is a text file, not a model\n");
  EXPECT_THAT(
      error_of([&] { import_model(path); }),
      AllOf(StartsWith("while importing '" + path.string() + "'"), HasSubstr("not an ONNX model")));
}

TEST(Parse, EmptyFileIsNotOnnx) {
  TempDir dir;
  const auto path = dir.path() / "empty.onnx";
  write_bytes(path, "");
  EXPECT_THAT(error_of([&] { import_model(path); }),
              AllOf(HasSubstr(path.string()), HasSubstr("the file is empty")));
}

TEST(Parse, TruncatedFileIsReportedAsTruncated) {
  ModelBuilder b = relu_model();
  // A weight big enough that a cut lands inside the graph.
  b.initializer(float_tensor("unused", {64}, std::vector<float>(64, 1.f)));
  const std::string bytes = b.bytes();
  TempDir dir;
  const auto path = dir.path() / "cut.onnx";
  for (std::size_t keep : {bytes.size() / 2, bytes.size() - 1, std::size_t{3}}) {
    write_bytes(path, std::string_view(bytes).substr(0, keep));
    EXPECT_THAT(error_of([&] { import_model(path); }),
                AllOf(HasSubstr(path.string()), HasSubstr("truncated")))
        << "kept " << keep << " of " << bytes.size() << " bytes";
  }
}

TEST(Parse, OtherProtobufMessagesAreNotOnnx) {
  // Valid protobuf messages of other kinds: a TensorProto (whose first field has ir_version's
  // tag) and a NodeProto.
  for (const std::string& bytes : {float_tensor("t", {2}, {1.f, 2.f}).SerializeAsString(),
                                   relu_model().proto().graph().node(0).SerializeAsString()}) {
    EXPECT_THAT(error_of([&] { import_model_bytes(bytes, "other.pb", "."); }),
                AllOf(StartsWith("while importing 'other.pb'"), HasSubstr("not an ONNX model")));
  }
}

TEST(Parse, ModelWithoutGraphIsRefused) {
  ModelBuilder b = relu_model();
  b.proto().clear_graph();
  EXPECT_THAT(error_of([&] { b.import(); }), HasSubstr("it has no graph"));
}

TEST(Parse, CheckerFailureIsOneLineNamingTheFile) {
  ModelBuilder b = relu_model();
  b.node("Relu", {"undefined_value"}, {"z"}, "bad");  // reads a value nothing defines
  b.output("z");
  const std::string message = error_of([&] { b.import(); });
  EXPECT_THAT(message, AllOf(StartsWith("while importing 'test.onnx'"),
                             HasSubstr("fails the ONNX checker"), HasSubstr("undefined_value")));
}

// ONNX's own shape inference divides by these (SIGFPE on strides=[0,0], issue 16): the import
// refuses them first, naming the node and attribute.
TEST(Parse, ZeroStridesAndDilationsAndNegativePadsAreRefusedBeforeShapeInference) {
  struct Case {
    std::string op;
    std::string attribute;
    std::vector<std::int64_t> values;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"Conv", "strides", {0, 0}, "attribute 'strides' = [0,0] has a value below 1"},
      {"Conv", "dilations", {1, 0}, "attribute 'dilations' = [1,0] has a value below 1"},
      {"Conv", "pads", {0, -1, 0, 0}, "attribute 'pads' = [0,-1,0,0] has a negative value"},
      {"MaxPool", "strides", {0, 0}, "attribute 'strides' = [0,0] has a value below 1"},
      {"AveragePool", "strides", {0, 0}, "attribute 'strides' = [0,0] has a value below 1"},
      {"AveragePool", "kernel_shape", {0, 2}, "attribute 'kernel_shape' = [0,2] has a value"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op + " " + c.attribute);
    ModelBuilder b(13);
    b.input("x", {1, 1, 8, 8});
    NodeProto& node = c.op == "Conv" ? b.node(c.op, {"x", "w"}, {"y"}, "window")
                                     : b.node(c.op, {"x"}, {"y"}, "window");
    if (c.op == "Conv") b.initializer(float_tensor("w", {1, 1, 2, 2}, {1, 1, 1, 1}));
    if (c.op != "Conv" && c.attribute != "kernel_shape") {
      set_attribute(node, "kernel_shape", std::vector<std::int64_t>{2, 2});
    }
    set_attribute(node, c.attribute, c.values);
    b.output("y");
    EXPECT_THAT(
        error_of([&] { b.import(); }),
        AllOf(HasSubstr(fmt::format("node 'window' ({}, opset 13)", c.op)), HasSubstr(c.expected)));
  }
}

TEST(Parse, CheckerRejectsAnUnknownOnnxOp) {
  ModelBuilder b(13);
  b.input("x", {2});
  b.node("NoSuchOnnxOp", {"x"}, {"y"});
  b.output("y");
  EXPECT_THAT(error_of([&] { b.import(); }), HasSubstr("fails the ONNX checker"));
}

TEST(Parse, OpsetsOutsideSevenToSeventeenAreRefused) {
  for (std::int64_t opset : {6, 18}) {
    ModelBuilder b = relu_model(opset);
    EXPECT_THAT(error_of([&] { b.import(); }),
                AllOf(HasSubstr(fmt::format("opset {} of the default ONNX domain", opset)),
                      HasSubstr("7 to 17")));
  }
  for (std::int64_t opset : {7, 17}) EXPECT_NO_THROW(relu_model(opset).import());
}

TEST(Parse, AiOnnxDomainNameIsTheDefaultDomain) {
  ModelBuilder b = relu_model();
  b.proto().mutable_opset_import(0)->set_domain("ai.onnx");
  b.proto().mutable_graph()->mutable_node(0)->set_domain("ai.onnx");
  EXPECT_EQ(b.import().opset, 13);
}

TEST(Parse, MissingDefaultOpsetIsRefused) {
  ModelBuilder b = relu_model();
  b.proto().mutable_opset_import(0)->set_domain("com.example");
  EXPECT_THAT(error_of([&] { b.import(); }), HasSubstr("imports no opset of the default"));
}

TEST(Parse, NodeOfAnotherDomainIsNamed) {
  ModelBuilder b = relu_model();
  auto* import = b.proto().add_opset_import();
  import->set_domain("com.microsoft");
  import->set_version(1);
  NodeProto& n = b.node("FusedGelu", {"y"}, {"z"}, "gelu");
  n.set_domain("com.microsoft");
  b.output("z");
  EXPECT_THAT(error_of([&] { b.import(); }),
              AllOf(HasSubstr("node 'gelu' (FusedGelu)"), HasSubstr("domain 'com.microsoft'"),
                    HasSubstr("only the default ONNX domain")));
}

TEST(Parse, UnsupportedOpMessage) {
  ModelBuilder b(13);
  b.input("x", {2, 3});
  b.node("Relu", {"x"}, {"r"}, "relu");
  b.node("Selu", {"r"}, {"y"}, "my_selu");
  b.output("y");
  EXPECT_EQ(error_of([&] { b.import(); }),
            "while importing 'test.onnx': node 'my_selu' (Selu, opset 13): operator not "
            "supported by kiln");
}

TEST(Parse, UnsupportedOpMessageListsTheOtherUnsupportedOps) {
  ModelBuilder b(13);
  b.input("x", {2, 3});
  b.node("Selu", {"x"}, {"a"});
  b.node("Softsign", {"a"}, {"b"});
  b.node("Selu", {"b"}, {"c"});
  b.node("Mod", {"c", "c"}, {"y"});
  b.output("y");
  EXPECT_EQ(error_of([&] { b.import(); }),
            "while importing 'test.onnx': node 'Selu_0' (Selu, opset 13): operator not "
            "supported by kiln (the model also uses unsupported Softsign, Mod)");
}

TEST(Parse, UnnamedNodesGetUniqueGeneratedNames) {
  ModelBuilder b(13);
  b.input("x", {2});
  b.node("Relu", {"x"}, {"a"});
  b.node("Relu", {"a"}, {"b"}, "Relu_2");  // takes the name node 2 would get
  b.node("Relu", {"b"}, {"c"});
  b.output("c");
  ImportedModel m = b.import();
  std::vector<std::string> names;
  for (const ir::Node* n : m.graph.nodes()) names.push_back(n->name());
  EXPECT_EQ(names, (std::vector<std::string>{"Relu_0", "Relu_2", "Relu_2_1"}));
}

TEST(Parse, GraphOutputsMayBeInputsOrConstants) {
  ModelBuilder b(13);
  b.input("x", {2});
  b.initializer(float_tensor("w", {2}, {1.f, 2.f}));
  b.node("Add", {"x", "w"}, {"y"});
  b.output("y");
  b.output("x");
  b.output("w");
  ImportedModel m = b.import();
  ASSERT_EQ(m.graph.outputs().size(), 3u);
  EXPECT_EQ(m.graph.outputs()[0]->name(), "y");
  EXPECT_EQ(m.graph.outputs()[1], m.graph.inputs()[0]);
  EXPECT_TRUE(m.graph.outputs()[2]->is_constant());
}

TEST(Parse, AbsentOptionalInputsAreNull) {
  ModelBuilder b(13);
  b.input("x", {4});
  b.initializer(float_tensor("hi", {}, {1.f}));
  b.node("Clip", {"x", "", "hi"}, {"y"}, "clip");
  b.output("y");
  ImportedModel m = b.import();
  const ir::Node* clip = m.graph.nodes()[0];
  EXPECT_EQ(clip->input_count(), 3u);
  EXPECT_EQ(clip->input(1), nullptr);
  EXPECT_EQ(clip->input(2)->name(), "hi");
}

TEST(Parse, LargeModelOver300MegabytesLoads) {
  // protobuf's historical 64 MB default limit must not apply; 80M floats = 320 MB.
  constexpr std::int64_t kCount = 80'000'000;
  ModelBuilder b(13);
  b.input("x", {kCount});
  TensorProto& w = b.initializer(TensorProto());
  w.set_name("w");
  w.set_data_type(TensorProto::FLOAT);
  w.add_dims(kCount);
  std::string* raw = w.mutable_raw_data();
  raw->resize(static_cast<std::size_t>(kCount) * 4);
  reinterpret_cast<float*>(raw->data())[kCount - 1] = 42.f;
  b.node("Add", {"x", "w"}, {"y"});
  b.output("y");
  TempDir dir;
  const auto path = dir.path() / "large.onnx";
  {
    std::ofstream out(path, std::ios::binary);
    ASSERT_TRUE(b.proto().SerializeToOstream(&out));
  }
  b.proto().Clear();  // free the builder's copy before importing
  ASSERT_GT(std::filesystem::file_size(path), 300u << 20);
  ImportedModel m = import_model(path);
  const ir::Value* weight = m.graph.find_value("w");
  ASSERT_NE(weight, nullptr);
  ASSERT_EQ(weight->constant().numel(), kCount);
  EXPECT_EQ(weight->constant().data<float>()[kCount - 1], 42.f);
}

TEST(ParseShapeArgument, NameAndDims) {
  EXPECT_EQ(parse_shape_argument("image:4,3,224,224"),
            (std::pair<std::string, std::vector<std::int64_t>>{"image", {4, 3, 224, 224}}));
  EXPECT_EQ(parse_shape_argument("x:7").second, (std::vector<std::int64_t>{7}));
  EXPECT_EQ(parse_shape_argument("x: 1, 2").second, (std::vector<std::int64_t>{1, 2}));
  // Names may contain ':' themselves; the last ':' separates the dims.
  EXPECT_EQ(parse_shape_argument("input:0:1,3").first, "input:0");
}

TEST(ParseShapeArgument, BadFormsNameTheText) {
  for (const char* bad : {"image", "image:", ":1,2", "image:1,,2", "image:1,x", "image:0,3",
                          "image:-1,3", "image:1,3,", "image:2.5", "image:99999999999999999999"}) {
    const std::string message = error_of([&] { parse_shape_argument(bad); });
    EXPECT_THAT(message,
                AllOf(HasSubstr(fmt::format("bad --shape '{}'", bad)), HasSubstr("NAME:D0,D1")))
        << bad;
  }
}

}  // namespace
}  // namespace kiln::onnx::testing
