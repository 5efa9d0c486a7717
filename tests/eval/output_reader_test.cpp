// Reading kiln run's output dumps: names, the three formats, outputs.json, and the user errors.

#include "kiln/eval/output_reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "kiln/core/error.h"
#include "kiln/core/file_io.h"
#include "kiln/core/npy.h"

namespace kiln::eval {
namespace {

namespace fs = std::filesystem;

class OutputReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("kiln_output_reader_{}",
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write_floats(const std::string& name, const std::vector<float>& values) {
    write_file_atomically(dir_ / name,
                          std::string_view(reinterpret_cast<const char*>(values.data()),
                                           values.size() * sizeof(float)));
  }
  void write_text(const std::string& name, const std::string& text) {
    write_file_atomically(dir_ / name, text);
  }

  fs::path dir_;
};

// The message of the user error `body` throws.
template <typename Body>
std::string user_error(Body&& body) {
  try {
    body();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUser) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected a user error";
  return "";
}

TEST_F(OutputReaderTest, ParsesStemsAndIndicesAndSkipsOtherFiles) {
  write_floats("ILSVRC2012_val_00000002_1.bin", {1, 2});
  write_floats("ILSVRC2012_val_00000001_1.bin", {3, 4});
  write_floats("ILSVRC2012_val_00000001_2.bin", {5});
  write_text("notes.txt", "not an output");
  write_text("a_b_c.json", "{}");
  write_text("x_0.bin", "");  // k starts at 1
  fs::create_directories(dir_ / "sub_1.bin");
  const OutputDirectory outputs(dir_);
  const auto first = outputs.files(1);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].stem, "ILSVRC2012_val_00000001");
  EXPECT_EQ(first[1].stem, "ILSVRC2012_val_00000002");
  EXPECT_EQ(outputs.files(2).size(), 1u);
  EXPECT_TRUE(outputs.files(3).empty());
  const Tensor t = outputs.read(first[0]);
  EXPECT_EQ(t.shape(), (Shape{2}));
  EXPECT_EQ(t.span<float>()[1], 4.f);
}

TEST_F(OutputReaderTest, ReadsNpyAndTextAsFloat32) {
  Tensor d(DType::kFloat64, Shape{2, 3});
  for (int i = 0; i < 6; ++i) d.data<double>()[i] = i * 0.5;
  write_npy(dir_ / "a_1.npy", d);
  write_text("b_1.txt", "0.5 -1.25e2\n3 +4\n1e-3 inf\n");
  const OutputDirectory outputs(dir_);
  const auto files = outputs.files(1);
  const Tensor a = outputs.read(files[0]);
  EXPECT_EQ(a.dtype(), DType::kFloat32);
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
  EXPECT_EQ(a.span<float>()[5], 2.5f);
  const Tensor b = outputs.read(files[1], Shape{3, 2});
  EXPECT_EQ(b.shape(), (Shape{3, 2}));
  EXPECT_EQ(b.span<float>()[1], -125.f);
  EXPECT_EQ(b.span<float>()[3], 4.f);
  EXPECT_TRUE(std::isinf(b.span<float>()[5]));
}

TEST_F(OutputReaderTest, OutputsJsonGivesShapesAndDtypes) {
  write_text("outputs.json", R"({"model": "m.onnx", "format": "bin", "outputs": [
      {"index": 1, "name": "logits", "dtype": "float32", "shape": [2, 2]},
      {"index": 2, "name": "ids", "dtype": "int64", "shape": [3]}]})");
  write_floats("s_1.bin", {1, 2, 3, 4});
  const std::int64_t ids[3] = {7, 8, 9};
  write_file_atomically(dir_ / "s_2.bin", std::string_view(reinterpret_cast<const char*>(ids), 24));
  const OutputDirectory outputs(dir_);
  EXPECT_TRUE(outputs.has_outputs_json());
  EXPECT_EQ(outputs.spec(1).name, "logits");
  EXPECT_EQ(outputs.read(outputs.files(1)[0]).shape(), (Shape{2, 2}));
  const Tensor second = outputs.read(outputs.files(2)[0]);
  EXPECT_EQ(second.dtype(), DType::kFloat32);
  EXPECT_EQ(second.span<float>()[2], 9.f);
}

TEST_F(OutputReaderTest, UserErrorsNameTheFile) {
  write_text("outputs.json", R"({"outputs": [{"index": 1, "shape": [3]}]})");
  write_floats("s_1.bin", {1, 2});
  const OutputDirectory outputs(dir_);
  EXPECT_NE(user_error([&] { outputs.read(outputs.files(1)[0]); }).find("s_1.bin"),
            std::string::npos);
  write_text("t_1.txt", "1 2 x3\n");
  const OutputDirectory again(dir_);
  const std::string message = user_error([&] { again.read(again.files(1)[1], Shape{3}); });
  EXPECT_NE(message.find("t_1.txt' line 1: 'x3' is not a number"), std::string::npos) << message;
  write_text("odd_1.bin", "12345");
  const OutputDirectory odd(dir_);
  EXPECT_NE(user_error([&] { odd.read(odd.files(1)[0]); }).find("not a whole number"),
            std::string::npos);
  EXPECT_NE(user_error([&] { OutputDirectory(dir_ / "missing"); }).find("does not exist"),
            std::string::npos);
}

TEST_F(OutputReaderTest, TwoFormatsOfOneOutputAreRefused) {
  write_floats("s_1.bin", {1});
  write_text("s_1.txt", "1");
  EXPECT_NE(user_error([&] { OutputDirectory{dir_}; }).find("keep one format"), std::string::npos);
}

TEST_F(OutputReaderTest, MalformedOutputsJsonIsAUserError) {
  write_text("outputs.json", "{not json");
  EXPECT_NE(user_error([&] { OutputDirectory{dir_}; }).find("outputs.json"), std::string::npos);
}

TEST_F(OutputReaderTest, WrongJsonTypesNameTheEntryAndKey) {
  for (const char* entry : {R"({"index": 1, "shape": "x"})", R"({"index": 1, "dtype": 3})",
                            R"({"index": [1]})", R"({"index": 1, "name": {}})"}) {
    write_text("outputs.json", fmt::format(R"({{"outputs": [{}]}})", entry));
    const std::string error = user_error([&] { OutputDirectory{dir_}; });
    EXPECT_NE(error.find("outputs.json"), std::string::npos) << error;
    EXPECT_NE(error.find("\"outputs\"[0]."), std::string::npos) << error;
  }
  write_text("outputs.json", R"({"outputs": [7]})");
  EXPECT_NE(user_error([&] { OutputDirectory{dir_}; }).find("not an object"), std::string::npos);
  write_text("outputs.json", R"({"outputs": [], "samples": [1]})");
  EXPECT_NE(user_error([&] { OutputDirectory{dir_}; }).find("not a name"), std::string::npos);
}

TEST_F(OutputReaderTest, SamplesListedInOutputsJsonMustAllHaveFiles) {
  write_text("outputs.json", R"({"outputs": [], "samples": ["a", "b", "c"]})");
  write_floats("a_1.bin", {1});
  write_floats("c_1.bin", {1});
  const OutputDirectory outputs(dir_);
  const std::string error = user_error([&] { outputs.files(1); });
  EXPECT_NE(error.find("lacks output 1 of 1 of its 3 samples, the first 'b'"), std::string::npos)
      << error;
  write_floats("b_1.bin", {1});
  EXPECT_EQ(OutputDirectory(dir_).files(1).size(), 3u);
}

TEST(ParseShapeOption, AcceptsCommasAndRefusesJunk) {
  EXPECT_EQ(parse_shape_option("19,65,129", "--output-shape"), (Shape{19, 65, 129}));
  EXPECT_EQ(parse_shape_option("512x512", "--input-size"), (Shape{512, 512}));
  EXPECT_THROW(parse_shape_option("19,,3", "--output-shape"), Error);
  EXPECT_THROW(parse_shape_option("a", "--output-shape"), Error);
  EXPECT_THROW(parse_shape_option("0,3", "--output-shape"), Error);
}

}  // namespace
}  // namespace kiln::eval
