#include "kiln/bench/output_files.h"

#include <gtest/gtest.h>

#include "bench/bench_test_support.h"
#include "kiln/core/error.h"
#include "kiln/core/file_io.h"

namespace kiln::bench {
namespace {

namespace fs = std::filesystem;

TEST(OutputFiles, NamesCountOutputsFromOne) {
  EXPECT_EQ(output_path("out", "ILSVRC2012_val_00000001", 0, OutputFormat::kTxt),
            fs::path("out/ILSVRC2012_val_00000001_1.txt"));
  EXPECT_EQ(output_path("out", "a", 1, OutputFormat::kBin), fs::path("out/a_2.bin"));
  EXPECT_THROW(parse_output_format("png"), Error);
}

TEST(OutputFiles, CompletenessChecksSizeAndHeader) {
  const fs::path dir = testing::fresh_directory("complete");
  const TensorSignature sample{"y", DType::kFloat32, Shape{2, 3}};
  const Tensor t = kiln::testing::random_tensor(Shape{2, 3}, 1);
  write_file_atomically(dir / "a.bin", serialize_output(t, OutputFormat::kBin));
  write_file_atomically(dir / "b.bin", serialize_output(t, OutputFormat::kBin).substr(0, 10));
  write_file_atomically(dir / "a.npy", serialize_output(t, OutputFormat::kNpy));
  write_file_atomically(dir / "b.npy",
                        serialize_output(t.reshaped(Shape{3, 2}), OutputFormat::kNpy));
  EXPECT_TRUE(output_is_complete(dir / "a.bin", sample, OutputFormat::kBin));
  EXPECT_FALSE(output_is_complete(dir / "b.bin", sample, OutputFormat::kBin));
  EXPECT_FALSE(output_is_complete(dir / "c.bin", sample, OutputFormat::kBin));
  EXPECT_TRUE(output_is_complete(dir / "a.npy", sample, OutputFormat::kNpy));
  EXPECT_FALSE(output_is_complete(dir / "b.npy", sample, OutputFormat::kNpy));
}

TEST(OutputFiles, ManifestDescribesOutputsAndGuardsResume) {
  const fs::path dir = testing::fresh_directory("manifest");
  const std::vector<TensorSignature> outputs = {{"class_out", DType::kFloat32, Shape{49104, 90}},
                                                {"box_out", DType::kFloat32, Shape{49104, 4}}};
  const OutputsManifest manifest{.model = "efficientdet_d0.onnx",
                                 .model_sha256 = std::string(64, 'a'),
                                 .settings = {"--input prep"},
                                 .format = OutputFormat::kBin,
                                 .outputs = outputs,
                                 .samples = {"b", "a"}};
  write_outputs_manifest(dir, manifest);
  const std::string text = read_file(dir / "outputs.json");
  EXPECT_NE(text.find("\"name\": \"box_out\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"index\": 2"), std::string::npos) << text;
  EXPECT_NE(text.find("\"model_sha256\": \"aaaa"), std::string::npos) << text;
  EXPECT_NO_THROW(check_outputs_manifest(dir, manifest));
  // Any difference in what decides a sample's outputs is refused; the samples may differ.
  OutputsManifest other = manifest;
  other.format = OutputFormat::kTxt;
  EXPECT_THROW(check_outputs_manifest(dir, other), Error);
  other = manifest;
  other.outputs = {outputs[0]};
  EXPECT_THROW(check_outputs_manifest(dir, other), Error);
  other = manifest;
  other.model_sha256 = std::string(64, 'b');
  EXPECT_THROW(check_outputs_manifest(dir, other), Error);
  other = manifest;
  other.settings = {"--input prep", "--shape image:1,3,512,512"};
  EXPECT_THROW(check_outputs_manifest(dir, other), Error);
  other = manifest;
  other.samples = {"a"};
  EXPECT_NO_THROW(check_outputs_manifest(dir, other));
}

TEST(OutputFiles, KilnOutputNamesAreTheRunsOwn) {
  EXPECT_TRUE(is_kiln_output_name("outputs.json"));
  EXPECT_TRUE(is_kiln_output_name("ILSVRC2012_val_00000001_1.bin"));
  EXPECT_TRUE(is_kiln_output_name("a_12.txt"));
  EXPECT_FALSE(is_kiln_output_name("a_0.bin"));
  EXPECT_FALSE(is_kiln_output_name("a_1.png"));
  EXPECT_FALSE(is_kiln_output_name("notes.txt"));
  EXPECT_FALSE(is_kiln_output_name("_1.bin"));
  EXPECT_FALSE(is_kiln_output_name("a_x1.bin"));
}

TEST(OutputFiles, UsedDirectoryIsRefusedResumedOrCleared) {
  const fs::path dir = testing::fresh_directory("used");
  EXPECT_NO_THROW(prepare_output_directory(dir / "new", ExistingOutputs::kRefuse));
  EXPECT_TRUE(fs::is_directory(dir / "new"));
  write_file_atomically(dir / "a_1.bin", "1234");
  write_file_atomically(dir / "outputs.json", "{}");
  write_file_atomically(dir / "readme.txt", "mine");
  EXPECT_THROW(prepare_output_directory(dir, ExistingOutputs::kRefuse), Error);
  EXPECT_NO_THROW(prepare_output_directory(dir, ExistingOutputs::kResume));
  EXPECT_TRUE(fs::exists(dir / "a_1.bin"));
  EXPECT_NO_THROW(prepare_output_directory(dir, ExistingOutputs::kOverwrite));
  EXPECT_FALSE(fs::exists(dir / "a_1.bin"));
  EXPECT_FALSE(fs::exists(dir / "outputs.json"));
  EXPECT_TRUE(fs::exists(dir / "readme.txt"));  // not kiln's
  EXPECT_NO_THROW(prepare_output_directory(dir, ExistingOutputs::kRefuse));
}

}  // namespace
}  // namespace kiln::bench
