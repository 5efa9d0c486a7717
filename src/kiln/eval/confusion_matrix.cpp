// Confusion matrix and IoU; the Cityscapes mapping table.

#include "kiln/eval/confusion_matrix.h"

#include <cmath>
#include <limits>

#include "kiln/core/error.h"

namespace kiln::eval {

ConfusionMatrix::ConfusionMatrix(int classes)
    : classes_(classes), counts_(static_cast<std::size_t>(classes) * classes) {
  KILN_CHECK(classes >= 1 && classes <= 255, "{} classes", classes);
}

void ConfusionMatrix::add(std::span<const std::uint8_t> ground_truth,
                          std::span<const std::uint8_t> prediction) {
  KILN_CHECK(ground_truth.size() == prediction.size(), "{} labels, {} predictions",
             ground_truth.size(), prediction.size());
  const auto n = static_cast<std::uint32_t>(classes_);
  for (std::size_t i = 0; i < ground_truth.size(); ++i) {
    const std::uint32_t gt = ground_truth[i];
    if (gt >= n) continue;
    const std::uint32_t pred = prediction[i];
    KILN_CHECK(pred < n, "prediction {} of {} classes", pred, n);
    ++counts_[gt * n + pred];
  }
}

void ConfusionMatrix::merge(const ConfusionMatrix& other) {
  KILN_CHECK(other.classes_ == classes_, "merging {} and {} classes", other.classes_, classes_);
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

std::vector<double> ConfusionMatrix::class_iou() const {
  std::vector<double> iou(static_cast<std::size_t>(classes_));
  for (int c = 0; c < classes_; ++c) {
    std::int64_t row = 0, column = 0;
    for (int j = 0; j < classes_; ++j) {
      row += at(c, j);
      column += at(j, c);
    }
    const auto diag = static_cast<double>(at(c, c));
    const double denominator = static_cast<double>(row) + static_cast<double>(column) - diag;
    iou[static_cast<std::size_t>(c)] =
        denominator == 0 ? std::numeric_limits<double>::quiet_NaN() : diag / denominator;
  }
  return iou;
}

double ConfusionMatrix::mean_iou() const {
  double sum = 0;
  int count = 0;
  for (double v : class_iou()) {
    if (!std::isnan(v)) {
      sum += v;
      ++count;
    }
  }
  return count == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / count;
}

std::int64_t ConfusionMatrix::pixels() const {
  std::int64_t total = 0;
  for (std::int64_t c : counts_) total += c;
  return total;
}

const std::array<std::uint8_t, 256>& cityscapes_train_ids() {
  static const std::array<std::uint8_t, 256> table = [] {
    std::array<std::uint8_t, 256> t{};
    t.fill(255);
    // label id -> train id (cityscapesScripts' labels.py, ADVENT's label2train)
    constexpr std::uint8_t kPairs[19][2] = {{7, 0},   {8, 1},   {11, 2},  {12, 3},  {13, 4},
                                            {17, 5},  {19, 6},  {20, 7},  {21, 8},  {22, 9},
                                            {23, 10}, {24, 11}, {25, 12}, {26, 13}, {27, 14},
                                            {28, 15}, {31, 16}, {32, 17}, {33, 18}};
    for (const auto& pair : kPairs) t[pair[0]] = pair[1];
    return t;
  }();
  return table;
}

const std::array<const char*, 19>& cityscapes_class_names() {
  static const std::array<const char*, 19> names = {
      "road",  "sidewalk",   "building", "wall",      "fence",  "pole",  "light",
      "sign",  "vegetation", "terrain",  "sky",       "person", "rider", "car",
      "truck", "bus",        "train",    "motocycle", "bicycle"};
  return names;
}

}  // namespace kiln::eval
