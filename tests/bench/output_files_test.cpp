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
  write_outputs_manifest(dir, "efficientdet_d0.onnx", OutputFormat::kBin, outputs);
  const std::string text = read_file(dir / "outputs.json");
  EXPECT_NE(text.find("\"name\": \"box_out\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"index\": 2"), std::string::npos) << text;
  EXPECT_NO_THROW(check_outputs_manifest(dir, OutputFormat::kBin, outputs));
  EXPECT_THROW(check_outputs_manifest(dir, OutputFormat::kTxt, outputs), Error);
  EXPECT_THROW(check_outputs_manifest(dir, OutputFormat::kBin, {outputs[0]}), Error);
}

}  // namespace
}  // namespace kiln::bench
