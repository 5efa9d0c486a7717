// prep_dataset on synthetic datasets: outputs, resume, bad images, recipe changes.

#include "kiln/data/prep.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "data/oversized_images.h"
#include "kiln/core/error.h"
#include "kiln/core/file_io.h"
#include "kiln/data/image.h"
#include "kiln/data/preprocess.h"
#include "kiln/data/synth.h"

namespace kiln::data {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class PrepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kiln_prep_test_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path synth(Task task, int count) {
    SynthOptions options;
    options.task = task;
    options.output = dir_ / "data";
    options.count = count;
    options.threads = 2;
    if (task == Task::kCityscapes) options.width = 320, options.height = 160;
    synth_dataset(options);
    return options.output;
  }

  PrepOptions options(Task task, const std::string& preset, const std::string& out = "out") {
    PrepOptions o;
    o.task = task;
    o.source = dir_ / "data";
    o.output = dir_ / out;
    o.preset = preset;
    o.recipe = find_preset(preset).recipe;
    o.threads = 2;
    o.quiet = true;
    return o;
  }

  std::vector<std::string> lines(const fs::path& path) {
    std::vector<std::string> result;
    std::istringstream in(read_file(path));
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  }

  fs::path dir_;
};

TEST_F(PrepTest, ImagenetWritesTensorsInfoAndLabels) {
  synth(Task::kImagenet, 6);
  const PrepResult result = prep_dataset(options(Task::kImagenet, "dpn131"));
  EXPECT_EQ(result.samples, 6);
  EXPECT_EQ(result.prepared, 6);
  EXPECT_EQ(result.info, dir_ / "out.info");
  const auto info = lines(dir_ / "out.info");
  ASSERT_EQ(info.size(), 6u);
  EXPECT_EQ(info[0], "0 out/ILSVRC2012_val_00000001.bin 224 224");
  EXPECT_EQ(fs::file_size(dir_ / "out" / "ILSVRC2012_val_00000006.bin"), 3u * 224 * 224 * 4);
  const auto labels = lines(dir_ / "out.labels.txt");
  const auto source = lines(dir_ / "data" / "val_label.txt");
  EXPECT_EQ(labels, source);  // same format, all samples prepared
  // Nothing else in DIR: temporary files were renamed into place.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_ / "out")) ++files;
  EXPECT_EQ(files, 6);
}

TEST_F(PrepTest, ResumeSkipsCompleteOutputsAndRedoesBrokenOnes) {
  synth(Task::kImagenet, 5);
  prep_dataset(options(Task::kImagenet, "resnet"));
  const fs::path second = dir_ / "out" / "ILSVRC2012_val_00000002.bin";
  const std::string good = read_file(second);
  write_file_atomically(second, good.substr(0, 1000));  // as if a run died mid-write
  fs::remove(dir_ / "out" / "ILSVRC2012_val_00000004.bin");
  const PrepResult result = prep_dataset(options(Task::kImagenet, "resnet"));
  EXPECT_EQ(result.reused, 3);
  EXPECT_EQ(result.prepared, 2);
  EXPECT_EQ(read_file(second), good);
}

TEST_F(PrepTest, AnotherRecipeIntoTheSameDirectoryIsRefused) {
  synth(Task::kImagenet, 2);
  prep_dataset(options(Task::kImagenet, "resnet"));
  try {
    prep_dataset(options(Task::kImagenet, "lvvit"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("another recipe"));
  }
}

TEST_F(PrepTest, BadImagesStopPrepOrAreSkippedAndListed) {
  const fs::path data = synth(Task::kImagenet, 4);
  const fs::path val = data / "val";
  const std::string jpeg = read_file(val / "ILSVRC2012_val_00000003.JPEG");
  write_file_atomically(val / "ILSVRC2012_val_00000003.JPEG", jpeg.substr(0, jpeg.size() / 3));
  write_file_atomically(val / "ILSVRC2012_val_00000004.JPEG", "");
  try {
    prep_dataset(options(Task::kImagenet, "resnet"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("ILSVRC2012_val_00000003.JPEG"));
    EXPECT_THAT(e.what(), HasSubstr("--skip-bad"));
  }
  EXPECT_FALSE(fs::exists(dir_ / "out.info"));

  PrepOptions skip = options(Task::kImagenet, "resnet");
  skip.skip_bad = true;
  const PrepResult result = prep_dataset(skip);
  EXPECT_EQ(result.samples, 2);
  EXPECT_EQ(result.skipped, 2);
  EXPECT_EQ(lines(dir_ / "out.info").size(), 2u);
  EXPECT_EQ(lines(dir_ / "out.labels.txt").size(), 2u);
  const auto skipped = lines(dir_ / "out.skipped.txt");
  ASSERT_EQ(skipped.size(), 2u);
  EXPECT_THAT(skipped[0], HasSubstr("truncated"));
  EXPECT_THAT(skipped[1], HasSubstr("empty file"));
}

TEST_F(PrepTest, ImagesDeclaringHugeSizesAreSkippable) {
  const fs::path data = synth(Task::kImagenet, 3);
  const fs::path val = data / "val";
  write_file_atomically(val / "ILSVRC2012_val_00000002.JPEG",
                        testing::jpeg_declaring(65500, 65500));
  write_file_atomically(val / "ILSVRC2012_val_00000003.JPEG",
                        testing::png_declaring(100000, 100000));
  EXPECT_THROW(prep_dataset(options(Task::kImagenet, "resnet")), Error);
  PrepOptions skip = options(Task::kImagenet, "resnet");
  skip.skip_bad = true;
  const PrepResult result = prep_dataset(skip);
  EXPECT_EQ(result.samples, 1);
  EXPECT_EQ(result.skipped, 2);
  const auto skipped = lines(dir_ / "out.skipped.txt");
  ASSERT_EQ(skipped.size(), 2u);
  EXPECT_THAT(skipped[0], HasSubstr("65500x65500"));
  EXPECT_THAT(skipped[1], HasSubstr("100000x100000"));
}

TEST_F(PrepTest, EveryTaskWritesItsSideFiles) {
  synth(Task::kSr, 3);
  prep_dataset(options(Task::kSr, "rdn", "sr"));
  EXPECT_EQ(lines(dir_ / "sr.info")[0], "0 sr/baby.bin 114 114");
  const ImageInfo hr = read_image_info(dir_ / "sr.hr" / "baby.png");
  EXPECT_EQ(hr.width, 228);
  EXPECT_EQ(hr.unchanged_channels, 3);
  fs::remove_all(dir_ / "data");

  synth(Task::kCityscapes, 2);
  prep_dataset(options(Task::kCityscapes, "intrada", "city"));
  EXPECT_EQ(lines(dir_ / "city.info")[0],
            "0 city/frankfurt_000000_000019_leftImg8bit.bin 1024 512");
  EXPECT_EQ(read_file(dir_ / "city.gt" / "frankfurt_000000_000019_leftImg8bit.png"),
            read_file(dir_ / "data" / "gtFine" / "val" / "frankfurt" /
                      "frankfurt_000000_000019_gtFine_labelIds.png"));
  fs::remove_all(dir_ / "data");

  synth(Task::kCoco, 4);
  prep_dataset(options(Task::kCoco, "efficientdet_d0", "coco"));
  const auto images = nlohmann::json::parse(read_file(dir_ / "coco.images.json"))["images"];
  ASSERT_EQ(images.size(), 4u);
  EXPECT_EQ(images[0]["image_id"], 139);
  EXPECT_EQ(images[0]["stem"], "000000000139");
  const double scale = images[0]["scale"];
  const int longer = std::max(images[0]["width"].get<int>(), images[0]["height"].get<int>());
  EXPECT_NEAR(scale, longer / 512.0, 1e-12);
}

TEST_F(PrepTest, LimitTakesTheFirstImagesByName) {
  synth(Task::kImagenet, 5);
  PrepOptions o = options(Task::kImagenet, "resnet");
  o.limit = 2;
  EXPECT_EQ(prep_dataset(o).samples, 2);
  EXPECT_EQ(lines(dir_ / "out.labels.txt").back(), lines(dir_ / "data" / "val_label.txt")[1]);
}

TEST_F(PrepTest, OutputSiblingIgnoresATrailingSlash) {
  EXPECT_EQ(output_sibling("out/dpn131/", ".info"), fs::path("out/dpn131.info"));
  EXPECT_EQ(output_sibling("dpn131", ".labels.txt"), fs::path("dpn131.labels.txt"));
}

}  // namespace
}  // namespace kiln::data
