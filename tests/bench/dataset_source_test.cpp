#include "kiln/bench/dataset_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "bench/bench_test_support.h"
#include "kiln/core/error.h"
#include "kiln/core/file_io.h"

namespace kiln::bench {
namespace {

namespace fs = std::filesystem;
using testing::fresh_directory;
using testing::write_samples;

const std::vector<TensorSignature> kImageInput = {{"x", DType::kFloat32, Shape{4, 2, 3}}};

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(DatasetSource, ADirectoryListsItsTensorFilesInNameOrder) {
  const fs::path dir = fresh_directory("listing");
  write_samples(dir, 3);
  write_file_atomically(dir / "notes.txt", "not a sample");
  write_file_atomically(dir / "sample_001_1.bin.tmp.42", "a temporary");
  const std::vector<DatasetSample> samples = list_dataset({dir.string()}, kImageInput);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].stem, "sample_000");
  EXPECT_EQ(samples[2].stem, "sample_002");
  EXPECT_EQ(samples[1].files, std::vector<fs::path>{dir / "sample_001.bin"});
}

TEST(DatasetSource, AnInfoListResolvesPathsBesideItselfAndNamesAMissingFile) {
  const fs::path dir = fresh_directory("info");
  write_samples(dir / "prep", 2);
  write_file_atomically(dir / "list.info",
                        "0 prep/sample_001.bin 3 2\n1 prep/sample_000.bin 3 2\n");
  const std::vector<DatasetSample> samples =
      list_dataset({(dir / "list.info").string()}, kImageInput);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].stem, "sample_001");  // the list's order
  EXPECT_EQ(samples[0].files[0], dir / "prep/sample_001.bin");

  write_file_atomically(dir / "broken.info", "0 prep/sample_000.bin 3 2\n1 prep/gone.bin 3 2\n");
  const std::string error =
      error_of([&] { list_dataset({(dir / "broken.info").string()}, kImageInput); });
  EXPECT_NE(error.find("broken.info' line 2"), std::string::npos) << error;
  EXPECT_NE(error.find("gone.bin' does not exist"), std::string::npos) << error;
}

TEST(DatasetSource, NonRegularFilesAndJunkLinesAreErrors) {
  const fs::path dir = fresh_directory("non_regular");
  write_samples(dir / "in", 1);
  ASSERT_EQ(::mkfifo((dir / "in" / "f.bin").c_str(), 0600), 0);
  EXPECT_NE(error_of([&] {
              list_dataset({(dir / "in").string()}, kImageInput);
            }).find("f.bin' is a FIFO, not a regular file"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              read_sample(dir / "in" / "f.bin", sample_signature(kImageInput[0]));
            }).find("is a FIFO"),
            std::string::npos);
  write_file_atomically(dir / "dir.info", "0 in 3 2\n");
  EXPECT_NE(error_of([&] {
              list_dataset({(dir / "dir.info").string()}, kImageInput);
            }).find("line 1: sample file '" + (dir / "in").string() + "' is a directory"),
            std::string::npos);
  for (const char* junk :
       {"the quick brown fox\n", "0 in/sample_000.bin 3 two\n", "0 in/sample_000.bin 3 2 1\n"}) {
    write_file_atomically(dir / "junk.info", junk);
    EXPECT_NE(error_of([&] {
                list_dataset({(dir / "junk.info").string()}, kImageInput);
              }).find("line 1: expected 'index path width height'"),
              std::string::npos)
        << junk;
  }
}

TEST(DatasetSource, SeveralInputsAreMatchedByStem) {
  const fs::path dir = fresh_directory("multi");
  write_samples(dir / "a", 3);
  write_samples(dir / "b", 3);
  const std::vector<TensorSignature> inputs = {{"image", DType::kFloat32, Shape{1, 2, 3}},
                                               {"scale", DType::kFloat32, Shape{1, 2, 3}}};
  const auto samples =
      list_dataset({"scale=" + (dir / "b").string(), "image=" + (dir / "a").string()}, inputs);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[1].files,
            (std::vector<fs::path>{dir / "a/sample_001.bin", dir / "b/sample_001.bin"}));

  fs::remove(dir / "b/sample_002.bin");
  EXPECT_NE(
      error_of([&] {
        list_dataset({"image=" + (dir / "a").string(), "scale=" + (dir / "b").string()}, inputs);
      }).find("has no sample 'sample_002'"),
      std::string::npos);
  EXPECT_NE(error_of([&] {
              list_dataset({(dir / "a").string()}, inputs);
            }).find("the model has 2 inputs"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              list_dataset({"mask=" + (dir / "a").string()}, inputs);
            }).find("no input named 'mask'"),
            std::string::npos);
}

TEST(DatasetSource, BadSourcesAreErrorsNamingThem) {
  const fs::path dir = fresh_directory("bad_sources");
  EXPECT_NE(error_of([&] {
              list_dataset({dir.string()}, kImageInput);
            }).find("holds no .bin or .npy tensor files"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              list_dataset({(dir / "nowhere").string()}, kImageInput);
            }).find("does not exist"),
            std::string::npos);
  fs::create_directories(dir / "locked");
  write_samples(dir / "locked", 1);
  fs::permissions(dir / "locked", fs::perms::none);
  if (::geteuid() != 0) {  // root reads anything
    EXPECT_NE(error_of([&] {
                list_dataset({(dir / "locked").string()}, kImageInput);
              }).find("cannot read directory"),
              std::string::npos);
  }
  fs::permissions(dir / "locked", fs::perms::owner_all);
}

TEST(DatasetSource, ReadSampleChecksSizeDtypeAndShape) {
  const fs::path dir = fresh_directory("read");
  const Tensor t = write_samples(dir, 1, /*npy=*/true)[0];
  const TensorSignature sample{"x", DType::kFloat32, Shape{2, 3}};
  kiln::testing::expect_tensor_near(read_sample(dir / "sample_000.npy", sample), t, 0, 0);
  write_npy(dir / "batched.npy", t.reshaped(Shape{1, 2, 3}));
  EXPECT_EQ(read_sample(dir / "batched.npy", sample).shape(), (Shape{2, 3}));

  write_npy(dir / "wrong_dtype.npy", Tensor(DType::kInt64, Shape{2, 3}));
  EXPECT_NE(error_of([&] {
              read_sample(dir / "wrong_dtype.npy", sample);
            }).find("holds int64[2,3], the model's input 'x' takes one sample of float32[2,3]"),
            std::string::npos);
  write_npy(dir / "wrong_shape.npy", Tensor(DType::kFloat32, Shape{3, 2}));
  EXPECT_NE(error_of([&] { read_sample(dir / "wrong_shape.npy", sample); }).find("wrong_shape.npy"),
            std::string::npos);
  write_file_atomically(dir / "short.bin", std::string(20, '\0'));
  EXPECT_NE(error_of([&] { read_sample(dir / "short.bin", sample); })
                .find("short.bin' has 20 bytes; the model's input 'x' takes one sample of "
                      "float32[2,3] = 24 bytes"),
            std::string::npos);
}

}  // namespace
}  // namespace kiln::bench
