#include "kiln/bench/input_checks.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "bench/bench_test_support.h"
#include "kiln/core/error.h"

namespace kiln::bench {
namespace {

namespace fs = std::filesystem;

std::string error_of(const fs::path& path) {
  try {
    require_regular_file(path, "model");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUser);
    return e.what();
  }
  return "";
}

TEST(InputChecks, SaysWhatANonRegularPathIs) {
  const fs::path dir = testing::fresh_directory("input_checks");
  write_file_atomically(dir / "m.onnx", "x");
  ASSERT_EQ(::mkfifo((dir / "fifo.onnx").c_str(), 0600), 0);
  fs::create_symlink(dir / "gone.onnx", dir / "dangling.onnx");
  EXPECT_EQ(error_of(dir / "m.onnx"), "");
  EXPECT_NE(error_of(dir / "fifo.onnx").find("fifo.onnx' is a FIFO, not a regular file"),
            std::string::npos);
  EXPECT_NE(error_of(dir).find("is a directory"), std::string::npos);
  EXPECT_NE(error_of("/dev/zero").find("is a character device"), std::string::npos);
  EXPECT_NE(error_of(dir / "gone.onnx").find("gone.onnx' does not exist"), std::string::npos);
  EXPECT_NE(error_of(dir / "dangling.onnx").find("a symbolic link to nothing"), std::string::npos);
}

TEST(InputChecks, AModelNeedsOutputs) {
  EXPECT_THROW(require_model_outputs(0, "m.onnx"), Error);
  EXPECT_NO_THROW(require_model_outputs(1, "m.onnx"));
}

}  // namespace
}  // namespace kiln::bench
