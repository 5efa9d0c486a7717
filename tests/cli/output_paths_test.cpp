#include "kiln/cli/output_paths.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "kiln/core/error.h"

namespace kiln::cli {
namespace {

namespace fs = std::filesystem;

class OutputPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kiln_output_paths_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    std::ofstream(dir_ / "labels.txt") << "a 1\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string error_of(const std::function<void()>& body) {
    try {
      body();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUser);
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(OutputPathsTest, AnOutputThatIsAnInputIsRefused) {
  const std::vector<CommandPath> inputs = {{"LABELS", dir_ / "labels.txt"}};
  EXPECT_NE(error_of([&] {
              check_outputs_are_not_inputs({{"-o", dir_ / "labels.txt"}}, inputs);
            }).find("-o '"),
            std::string::npos);
  // Another spelling of the same file, a hard link, and a link through a symlinked directory.
  EXPECT_NE(error_of([&] {
              check_outputs_are_not_inputs({{"-o", dir_ / "data" / ".." / "labels.txt"}}, inputs);
            }),
            "");
  fs::create_hard_link(dir_ / "labels.txt", dir_ / "hard.txt");
  EXPECT_NE(error_of([&] {
              check_outputs_are_not_inputs({{"-o", dir_ / "hard.txt"}}, inputs);
            }),
            "");
  fs::create_directory_symlink(dir_, dir_ / "data" / "up");
  EXPECT_NE(error_of([&] {
              check_outputs_are_not_inputs({{"-o", dir_ / "data" / "up" / "labels.txt"}}, inputs);
            }),
            "");
  EXPECT_EQ(error_of([&] {
              check_outputs_are_not_inputs({{"-o", dir_ / "result.json"}, {"--unset", ""}}, inputs);
            }),
            "");
}

TEST_F(OutputPathsTest, AnOutputDirectoryMayNotBeInsideAnInputOrHoldItsFiles) {
  const std::vector<CommandPath> inputs = {{"--input", dir_ / "data"}};
  EXPECT_NE(error_of([&] { check_output_directory({"--output", dir_ / "data"}, inputs); }), "");
  EXPECT_NE(error_of([&] {
              check_output_directory({"--output", dir_ / "data" / "out"}, inputs);
            }).find("lies inside the --input"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { check_output_directory({"--output", dir_ / "out"}, inputs); }), "");
  EXPECT_EQ(error_of([&] { check_output_directory({"--output", dir_ / "dat"}, inputs); }), "");
  // An .info list's samples may live anywhere: none of them inside the output directory.
  EXPECT_NE(error_of([&] {
              check_output_directory({"--output", dir_}, {{"--input", dir_ / "list.info"}},
                                     {dir_ / "prep" / "a.bin"});
            }).find("holds the input file"),
            std::string::npos);
}

}  // namespace
}  // namespace kiln::cli
