// Confusion matrix, IoU (NaN for absent classes, ignore 255) and the Cityscapes mapping.

#include "kiln/eval/confusion_matrix.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kiln::eval {
namespace {

TEST(ConfusionMatrix, HandWorkedIou) {
  ConfusionMatrix m(3);
  // gt:   0 0 0 1 1 255 2
  // pred: 0 0 1 1 0 2   0
  const std::vector<std::uint8_t> gt = {0, 0, 0, 1, 1, 255, 2};
  const std::vector<std::uint8_t> pred = {0, 0, 1, 1, 0, 2, 0};
  m.add(gt, pred);
  EXPECT_EQ(m.pixels(), 6);  // the 255 pixel is ignored
  EXPECT_EQ(m.at(0, 0), 2);
  EXPECT_EQ(m.at(0, 1), 1);
  EXPECT_EQ(m.at(2, 0), 1);
  const std::vector<double> iou = m.class_iou();
  EXPECT_DOUBLE_EQ(iou[0], 2.0 / (3 + 4 - 2));  // row 3, column 4
  EXPECT_DOUBLE_EQ(iou[1], 1.0 / (2 + 2 - 1));
  EXPECT_DOUBLE_EQ(iou[2], 0.0);  // in the ground truth, never right
  EXPECT_DOUBLE_EQ(m.mean_iou(), (0.4 + 1.0 / 3 + 0) / 3);
}

TEST(ConfusionMatrix, AbsentClassIsNanAndLeftOutOfTheMean) {
  ConfusionMatrix m(4);
  m.add(std::vector<std::uint8_t>{0, 1, 1}, std::vector<std::uint8_t>{0, 1, 1});
  const std::vector<double> iou = m.class_iou();
  EXPECT_TRUE(std::isnan(iou[2]));
  EXPECT_TRUE(std::isnan(iou[3]));
  EXPECT_DOUBLE_EQ(m.mean_iou(), 1.0);
  // Predicted but absent from the ground truth: IoU 0, counted.
  m.add(std::vector<std::uint8_t>{0}, std::vector<std::uint8_t>{3});
  EXPECT_EQ(m.class_iou()[3], 0.0);
  EXPECT_DOUBLE_EQ(m.mean_iou(), (0.5 + 1.0 + 0.0) / 3);
  EXPECT_TRUE(std::isnan(ConfusionMatrix(2).mean_iou()));
}

TEST(ConfusionMatrix, MergeAddsCounts) {
  ConfusionMatrix a(2), b(2);
  a.add(std::vector<std::uint8_t>{0, 1}, std::vector<std::uint8_t>{0, 0});
  b.add(std::vector<std::uint8_t>{1}, std::vector<std::uint8_t>{1});
  a.merge(b);
  EXPECT_EQ(a.at(1, 0), 1);
  EXPECT_EQ(a.at(1, 1), 1);
  EXPECT_EQ(a.pixels(), 3);
}

TEST(CityscapesMapping, LabelIdsToTrainIds) {
  const auto& t = cityscapes_train_ids();
  EXPECT_EQ(t[7], 0);    // road
  EXPECT_EQ(t[8], 1);    // sidewalk
  EXPECT_EQ(t[26], 13);  // car
  EXPECT_EQ(t[33], 18);  // bicycle
  for (int id : {0, 1, 2, 3, 4, 5, 6, 9, 10, 14, 15, 16, 18, 29, 30, 34, 255}) {
    EXPECT_EQ(t[static_cast<std::size_t>(id)], 255) << id;
  }
  int mapped = 0;
  for (std::uint8_t v : t) mapped += v != 255;
  EXPECT_EQ(mapped, 19);
  EXPECT_STREQ(cityscapes_class_names()[13], "car");
}

}  // namespace
}  // namespace kiln::eval
