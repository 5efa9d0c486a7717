// Top-N accuracy: hand-worked cases (perfect, all wrong, ties, 1001 classes, probabilities),
// order invariance, and the user errors of a directory evaluation.

#include "kiln/eval/topk_accuracy.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>

#include "kiln/core/error.h"
#include "kiln/core/file_io.h"

namespace kiln::eval {
namespace {

namespace fs = std::filesystem;

TEST(LabelRank, CountsGreaterScoresAndEarlierTies) {
  const std::vector<float> scores = {0.1f, 0.7f, 0.3f, 0.7f, -2.f};
  EXPECT_EQ(label_rank(scores, 1), 0);  // first of the tied 0.7s
  EXPECT_EQ(label_rank(scores, 3), 1);  // tie: the smaller index comes first
  EXPECT_EQ(label_rank(scores, 2), 2);
  EXPECT_EQ(label_rank(scores, 0), 3);
  EXPECT_EQ(label_rank(scores, 4), 4);
}

TEST(LabelRank, NanSortsLast) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> scores = {nan, 1.f, nan, 0.f};
  EXPECT_EQ(label_rank(scores, 1), 0);
  EXPECT_EQ(label_rank(scores, 3), 1);
  EXPECT_EQ(label_rank(scores, 0), 2);
  EXPECT_EQ(label_rank(scores, 2), 3);
}

TEST(TopkCounter, PerfectAndAllWrongAndMiddle) {
  TopkCounter counter(3);
  counter.add(std::vector<float>{0.f, 5.f, 1.f, 2.f}, 1);  // rank 0
  counter.add(std::vector<float>{0.f, 5.f, 1.f, 2.f}, 3);  // rank 1
  counter.add(std::vector<float>{0.f, 5.f, 1.f, 2.f}, 0);  // rank 3: not within top 3
  EXPECT_EQ(counter.samples(), 3);
  EXPECT_EQ(counter.cumulative_hits(), (std::vector<std::int64_t>{1, 2, 2}));
}

TEST(TopkCounter, LogitsAndProbabilitiesGiveTheSameCounts) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  TopkCounter logits(5), probabilities(5);
  for (int sample = 0; sample < 200; ++sample) {
    std::vector<float> z(50);
    for (float& v : z) v = normal(rng);
    std::vector<float> p(50);
    const float max = *std::max_element(z.begin(), z.end());
    float sum = 0;
    for (std::size_t c = 0; c < z.size(); ++c) sum += p[c] = std::exp(z[c] - max);
    for (float& v : p) v /= sum;
    const std::int64_t label = sample % 50;
    logits.add(z, label);
    probabilities.add(p, label);
  }
  EXPECT_EQ(logits.cumulative_hits(), probabilities.cumulative_hits());
}

TEST(TopkCounter, CountsNonFiniteScores) {
  TopkCounter counter(1);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  counter.add(std::vector<float>{nan, 0.2f, 0.1f}, 1);  // NaN ranks last: label 1 is top-1
  counter.add(std::vector<float>{0.1f, -inf, inf}, 2);
  counter.add(std::vector<float>{0.1f, 0.2f, 0.3f}, 0);
  EXPECT_EQ(counter.non_finite_scores(), 3);
  EXPECT_EQ(counter.samples_with_non_finite(), 2);
  EXPECT_EQ(counter.cumulative_hits(), std::vector<std::int64_t>{2});
  TopkCounter merged(1);
  merged.merge(counter);
  EXPECT_EQ(merged.non_finite_scores(), 3);
  EXPECT_EQ(merged.samples_with_non_finite(), 2);
}

class TopkDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("kiln_topk_" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "out");
  }
  void TearDown() override { fs::remove_all(root_); }

  void write_scores(const std::string& stem, const std::vector<float>& scores) {
    write_file_atomically(root_ / "out" / (stem + "_1.bin"),
                          std::string_view(reinterpret_cast<const char*>(scores.data()),
                                           scores.size() * sizeof(float)));
  }
  void write_labels(const std::string& text) { write_file_atomically(root_ / "labels.txt", text); }
  TopkResult evaluate(int topn = 5) {
    return evaluate_topk(OutputDirectory(root_ / "out"), root_ / "labels.txt", {.topn = topn});
  }

  fs::path root_;
};

TEST_F(TopkDirectoryTest, DuplicateLabelLinesMustAgree) {
  write_labels("a.JPEG 3\nb.JPEG 1\na.JPEG 3\n");
  EXPECT_EQ(read_class_labels(root_ / "labels.txt").size(), 2u);
  write_labels("a.JPEG 3\nb.JPEG 1\na.png 2\n");
  try {
    read_class_labels(root_ / "labels.txt");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("line 3: 'a' has class 2, an earlier line gave it class 3"),
        std::string::npos)
        << e.what();
  }
}

TEST_F(TopkDirectoryTest, HandWorkedFourImages) {
  // Four images, four classes: ranks 0, 1, 2, 3.
  write_scores("img_1", {9, 1, 2, 3});
  write_scores("img_2", {1, 9, 8, 0});
  write_scores("img_3", {5, 4, 3, 2});
  write_scores("img_4", {1, 2, 3, 4});
  write_labels("img_1.JPEG 0\nimg_2.JPEG 2\nimg_3.JPEG 2\r\nimg_4.JPEG 0\n\nunused.JPEG 1\n");
  const TopkResult result = evaluate();
  EXPECT_EQ(result.images, 4);
  EXPECT_EQ(result.classes, 4);
  ASSERT_EQ(result.accuracy.size(), 4u);  // min(topn, classes)
  EXPECT_EQ(result.cumulative_hits, (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_DOUBLE_EQ(result.accuracy[0], 0.25);
  const Report report = make_topk_report(result);
  ASSERT_EQ(report.rows.size(), 6u);
  EXPECT_EQ(report.rows[0].value, "4");
  EXPECT_EQ(report.rows[1].value, "4");
  EXPECT_EQ(report.rows[2].key, "Top1 accuracy");
  EXPECT_EQ(report.rows[2].value, "25.0%");
  EXPECT_EQ(report.rows[5].value, "100.0%");
}

TEST_F(TopkDirectoryTest, ThousandAndOneClassesShiftLabels) {
  std::vector<float> scores(1001, 0.f);
  scores[101] = 1.f;  // class 100 of the label file, after the background class
  write_scores("a", scores);
  write_labels("a.JPEG 100\n");
  const TopkResult result = evaluate(1);
  EXPECT_EQ(result.label_offset, 1);
  EXPECT_EQ(result.cumulative_hits, (std::vector<std::int64_t>{1}));
}

TEST_F(TopkDirectoryTest, PerfectAndAllWrongOverOneHundredImages) {
  std::string labels;
  for (int i = 0; i < 100; ++i) {
    std::vector<float> scores(10, 0.f);
    scores[static_cast<std::size_t>(i % 10)] = 1.f;
    write_scores(fmt::format("p{}", i), scores);
    labels += fmt::format("p{}.JPEG {}\n", i, i < 50 ? i % 10 : 9 - i % 10);
  }
  write_labels(labels);
  const TopkResult result = evaluate(1);
  // i < 50: right; i >= 50: right only when i % 10 == 9 - i % 10, never (i % 10 is 0..9).
  EXPECT_EQ(result.cumulative_hits[0], 50);
  EXPECT_EQ(make_topk_report(result).rows[2].value, "50.0%");
}

TEST_F(TopkDirectoryTest, UserErrors) {
  write_scores("a", {1, 2, 3});
  write_scores("b", {1, 2});
  write_labels("a.JPEG 0\nb.JPEG 1\n");
  try {
    evaluate();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("b_1.bin"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("class counts disagree"), std::string::npos);
  }
  fs::remove(root_ / "out" / "b_1.bin");
  write_labels("b.JPEG 1\n");
  try {
    evaluate();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("a_1.bin' has no label"), std::string::npos) << e.what();
  }
  write_labels("a.JPEG 7\n");
  EXPECT_THROW(evaluate(), Error);  // label 7 of 3 classes
  write_labels("a.JPEG seven\n");
  try {
    evaluate();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 1"), std::string::npos) << e.what();
  }
}

TEST_F(TopkDirectoryTest, ResultDoesNotDependOnFileOrderOrThreads) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  std::string labels;
  for (int i = 0; i < 300; ++i) {
    std::vector<float> scores(20);
    for (float& v : scores) v = normal(rng);
    write_scores(fmt::format("s{}", i), scores);
    labels += fmt::format("s{}.png {}\n", i, i % 20);
  }
  write_labels(labels);
  const TopkResult first = evaluate();
  // The same samples under other names (another listing order) give the same counts.
  fs::rename(root_ / "out", root_ / "old");
  fs::create_directories(root_ / "out");
  std::string renamed;
  for (int i = 0; i < 300; ++i) {
    const std::string stem = fmt::format("z{}", 299 - i);
    fs::rename(root_ / "old" / fmt::format("s{}_1.bin", i), root_ / "out" / (stem + "_1.bin"));
    renamed += fmt::format("{}.png {}\n", stem, i % 20);
  }
  write_labels(renamed);
  const TopkResult second = evaluate();
  EXPECT_EQ(first.cumulative_hits, second.cumulative_hits);
  EXPECT_EQ(first.images, 300);
}

}  // namespace
}  // namespace kiln::eval
