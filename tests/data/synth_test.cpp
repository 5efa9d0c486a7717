// Synthetic datasets: determinism, the real layouts, and a COCO json that is valid COCO.

#include "kiln/data/synth.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "kiln/core/file_io.h"
#include "kiln/data/dataset.h"
#include "kiln/data/image.h"

namespace kiln::data {
namespace {

namespace fs = std::filesystem;

class SynthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kiln_synth_test_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  SynthResult make(Task task, const std::string& name, int count, std::uint64_t seed, int threads) {
    SynthOptions options;
    options.task = task;
    options.output = dir_ / name;
    options.count = count;
    options.seed = seed;
    options.threads = threads;
    if (task == Task::kCityscapes) options.width = 256, options.height = 128;
    return synth_dataset(options);
  }

  fs::path dir_;
};

std::map<std::string, std::string> all_files(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) {
      files[fs::relative(entry.path(), root).string()] = read_file(entry.path());
    }
  }
  return files;
}

TEST_F(SynthTest, SameSeedSameFilesWhateverTheThreads) {
  for (Task task : {Task::kImagenet, Task::kSr, Task::kCityscapes, Task::kCoco}) {
    const std::string name(task_name(task));
    make(task, name + "_a", 6, 42, 1);
    make(task, name + "_b", 6, 42, 3);
    make(task, name + "_c", 6, 43, 2);
    const auto a = all_files(dir_ / (name + "_a"));
    EXPECT_EQ(a, all_files(dir_ / (name + "_b"))) << name;
    EXPECT_NE(a, all_files(dir_ / (name + "_c"))) << name;
  }
}

TEST_F(SynthTest, ImagenetLayoutHasImagesAndLabels) {
  make(Task::kImagenet, "in", 18, 1, 2);
  const DatasetListing listing = list_dataset(Task::kImagenet, dir_ / "in");
  ASSERT_EQ(listing.samples.size(), 18u);
  EXPECT_EQ(listing.samples[0].image.filename(), "ILSVRC2012_val_00000001.JPEG");
  int gray = 0;
  for (const Sample& sample : listing.samples) {
    EXPECT_GE(sample.class_index, 0);
    EXPECT_LT(sample.class_index, 1000);
    const ImageInfo info = read_image_info(sample.image);
    EXPECT_EQ(info.format, ImageInfo::Format::kJpeg);
    EXPECT_GE(std::min(info.width, info.height), 300);
    gray += info.unchanged_channels == 1;
  }
  EXPECT_EQ(gray, 1);  // one in 16 is grayscale, as some of ImageNet is
}

TEST_F(SynthTest, CityscapesLabelsUseCityscapesIds) {
  make(Task::kCityscapes, "city", 3, 5, 2);
  const DatasetListing listing = list_dataset(Task::kCityscapes, dir_ / "city");
  ASSERT_EQ(listing.samples.size(), 3u);
  std::set<int> ids;
  for (const Sample& sample : listing.samples) {
    const Image labels = decode_image(sample.label_image, ColorMode::kUnchanged);
    ASSERT_EQ(labels.channels, 1);
    ASSERT_EQ(labels.width, 256);
    ASSERT_EQ(labels.height, 128);
    for (std::uint8_t id : labels.pixels) ids.insert(id);
  }
  for (int id : ids) EXPECT_LE(id, 33);
  EXPECT_TRUE(ids.count(7) && ids.count(23) && ids.count(11));  // road, sky, building
  EXPECT_TRUE(ids.count(1) || ids.count(2) || ids.count(3));    // ignored ids too
}

TEST_F(SynthTest, CocoJsonIsValidCoco) {
  const SynthResult result = make(Task::kCoco, "coco", 30, 9, 2);
  const auto json = nlohmann::json::parse(read_file(result.description));
  ASSERT_EQ(json["categories"].size(), 80u);
  std::set<int> category_ids;
  for (const auto& c : json["categories"]) category_ids.insert(c["id"].get<int>());
  EXPECT_EQ(*category_ids.begin(), 1);
  EXPECT_EQ(*category_ids.rbegin(), 90);
  EXPECT_FALSE(category_ids.count(12));  // COCO's gaps

  std::map<std::int64_t, std::pair<int, int>> sizes;
  for (const auto& image : json["images"]) {
    const fs::path file = dir_ / "coco" / "val2017" / image["file_name"].get<std::string>();
    const ImageInfo info = read_image_info(file);
    EXPECT_EQ(info.width, image["width"].get<int>());
    EXPECT_EQ(info.height, image["height"].get<int>());
    sizes[image["id"].get<std::int64_t>()] = {info.width, info.height};
  }
  ASSERT_EQ(sizes.size(), 30u);
  std::set<std::int64_t> annotated;
  std::set<std::int64_t> annotation_ids;
  int crowd = 0;
  for (const auto& a : json["annotations"]) {
    annotation_ids.insert(a["id"].get<std::int64_t>());
    const std::int64_t image_id = a["image_id"].get<std::int64_t>();
    ASSERT_TRUE(sizes.count(image_id));
    annotated.insert(image_id);
    EXPECT_TRUE(category_ids.count(a["category_id"].get<int>()));
    const auto [width, height] = sizes[image_id];
    const auto& bbox = a["bbox"];
    EXPECT_GE(bbox[0].get<double>(), 0);
    EXPECT_GE(bbox[1].get<double>(), 0);
    EXPECT_LE(bbox[0].get<double>() + bbox[2].get<double>(), width + 1e-6);
    EXPECT_LE(bbox[1].get<double>() + bbox[3].get<double>(), height + 1e-6);
    EXPECT_GT(a["area"].get<double>(), 0);
    if (a["iscrowd"] == 1) {
      ++crowd;
      // Uncompressed RLE over the whole image; the area is its count of ones, w * h here.
      std::int64_t total = 0, ones = 0;
      const auto& counts = a["segmentation"]["counts"];
      for (std::size_t i = 0; i < counts.size(); ++i) {
        total += counts[i].get<std::int64_t>();
        if (i % 2 == 1) ones += counts[i].get<std::int64_t>();
      }
      EXPECT_EQ(total, std::int64_t{width} * height);
      EXPECT_EQ(ones, a["area"].get<std::int64_t>());
      EXPECT_EQ(ones, bbox[2].get<std::int64_t>() * bbox[3].get<std::int64_t>());
    } else {
      EXPECT_EQ(a["segmentation"].size(), 1u);
      EXPECT_GE(a["segmentation"][0].size(), 6u);
    }
  }
  EXPECT_EQ(annotation_ids.size(), json["annotations"].size());
  EXPECT_LT(annotated.size(), sizes.size());  // some images have no objects
  EXPECT_GT(crowd, 0);
}

}  // namespace
}  // namespace kiln::data
