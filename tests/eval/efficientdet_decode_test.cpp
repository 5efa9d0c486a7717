// EfficientDet postprocess on hand-worked cases: anchors, box decoding, top-k tie order, NMS
// strictness and per-class scope, the 100-detection cap, clipping and rescaling.

#include "kiln/eval/efficientdet_decode.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kiln/core/error.h"

namespace kiln::eval {
namespace {

double logit(double p) {
  return std::log(p / (1 - p));
}

TEST(EfficientDetAnchors, CountOrderAndValues) {
  const std::vector<Anchor> a = generate_efficientdet_anchors(512, 512);
  ASSERT_EQ(a.size(), 49104u);
  // P3, location (0, 0): centre (4, 4); octave 0, aspect (1, 1): base 4 * 8 = 32.
  EXPECT_EQ(a[0], (Anchor{4 - 16, 4 - 16, 4 + 16, 4 + 16}));
  // Aspect (1.4, 0.7): x half-width 32 * 1.4 / 2, y half-height 32 * 0.7 / 2.
  EXPECT_NEAR(a[1][0], 4 - 11.2, 1e-12);
  EXPECT_NEAR(a[1][1], 4 - 22.4, 1e-12);
  // Octave 1: base 32 * 2^(1/3).
  const double b = 32 * std::pow(2.0, 1 / 3.0) / 2;
  EXPECT_NEAR(a[3][3], 4 + b, 1e-12);
  // The second location of P3 is 8 pixels to the right.
  EXPECT_EQ(a[9], (Anchor{4 - 16, 12 - 16, 4 + 16, 12 + 16}));
  // P7 starts after 9 * (64^2 + 32^2 + 16^2 + 8^2) anchors; stride 128, base 512.
  EXPECT_EQ(a[9 * (4096 + 1024 + 256 + 64)], (Anchor{64 - 256, 64 - 256, 64 + 256, 64 + 256}));
  EXPECT_EQ(generate_efficientdet_anchors(128, 256).size(),
            9u * (16 * 32 + 8 * 16 + 4 * 8 + 2 * 4 + 1 * 2));
  EXPECT_THROW(generate_efficientdet_anchors(100, 128), Error);
}

// A tiny "model": 2 anchors, 3 classes.
struct Tiny {
  std::vector<Anchor> anchors = {{0, 0, 10, 20}, {0, 100, 10, 120}};  // yxyx
  std::vector<float> classes = std::vector<float>(6, -20.f);
  std::vector<float> boxes = std::vector<float>(8, 0.f);
};

TEST(EfficientDetDecode, ZeroCodesGiveTheAnchorAndSigmoidScore) {
  Tiny t;
  t.classes[1 * 3 + 2] = static_cast<float>(logit(0.8));
  const auto dets = decode_efficientdet(t.classes, t.boxes, 3, t.anchors, 1.0, std::nullopt, {});
  ASSERT_EQ(dets.size(), 6u);  // every candidate survives: no overlaps within a class
  EXPECT_EQ(dets[0].class_id, 3);
  EXPECT_NEAR(dets[0].score, 0.8, 1e-7);
  EXPECT_DOUBLE_EQ(dets[0].x, 100);
  EXPECT_DOUBLE_EQ(dets[0].y, 0);
  EXPECT_DOUBLE_EQ(dets[0].width, 20);
  EXPECT_DOUBLE_EQ(dets[0].height, 10);
}

TEST(EfficientDetDecode, HandWorkedBoxAndScale) {
  Tiny t;
  t.classes[0] = 3.f;
  // Anchor 0: centre (5, 10), h 10, w 20; codes ty 0.5, tx -0.25, th log 2, tw 0.
  t.boxes[0] = 0.5f;
  t.boxes[1] = -0.25f;
  t.boxes[2] = static_cast<float>(std::log(2.0));
  const auto dets = decode_efficientdet(t.classes, t.boxes, 3, t.anchors, 2.0, std::nullopt, {});
  // yc = 10, xc = 5, h = 20, w = 20 -> (x1, y1, x2, y2) = (-5, 0, 15, 20); times 2.
  EXPECT_NEAR(dets[0].x, -10, 1e-6);
  EXPECT_NEAR(dets[0].y, 0, 1e-6);
  EXPECT_NEAR(dets[0].width, 40, 1e-5);
  EXPECT_NEAR(dets[0].height, 40, 1e-5);
  // Clipped to the original image (30 x 30 pixels, 15 x 15 input pixels) before NMS.
  const auto clipped =
      decode_efficientdet(t.classes, t.boxes, 3, t.anchors, 2.0, std::array<double, 2>{30, 30}, {});
  EXPECT_DOUBLE_EQ(clipped[0].x, 0);
  EXPECT_NEAR(clipped[0].width, 30, 1e-12);
  EXPECT_NEAR(clipped[0].height, 30, 1e-12);
}

TEST(EfficientDetDecode, TopKKeepsTheLargestLogitsTiesByIndex) {
  Tiny t;
  for (float& v : t.classes) v = 1.f;  // all tied
  EfficientDetOptions options;
  options.top_k = 2;
  const auto dets =
      decode_efficientdet(t.classes, t.boxes, 3, t.anchors, 1.0, std::nullopt, options);
  ASSERT_EQ(dets.size(), 2u);  // flat indices 0 and 1: anchor 0, classes 0 and 1
  EXPECT_EQ(dets[0].class_id, 1);
  EXPECT_EQ(dets[1].class_id, 2);
  EXPECT_DOUBLE_EQ(dets[0].x, 0);
}

TEST(EfficientDetDecode, NmsIsPerClassAndStrict) {
  // Two anchors with boxes overlapping by IoU exactly 0.5 -> both kept; above -> suppressed.
  std::vector<Anchor> anchors = {{0, 0, 10, 30}, {0, 10, 10, 40}};  // x 0..30 and 10..40
  std::vector<float> boxes(8, 0.f);
  std::vector<float> classes = {2.f, -20.f, 1.f, -20.f};  // 2 classes, both anchors class 0
  // Intersection 20 x 10 = 200, union 300 + 300 - 200 = 400: IoU 0.5, not > 0.5.
  auto dets = decode_efficientdet(classes, boxes, 2, anchors, 1.0, std::nullopt, {});
  EXPECT_EQ(dets[0].class_id, 1);
  EXPECT_EQ(dets[1].class_id, 1);
  anchors[1] = {0, 9, 10, 39};  // intersection 210, union 390: suppressed
  dets = decode_efficientdet(classes, boxes, 2, anchors, 1.0, std::nullopt, {});
  ASSERT_EQ(dets[1].class_id, 2);  // the next is the other class, not the suppressed box
  // Same boxes, different classes: not suppressed.
  classes = {2.f, -20.f, -20.f, 1.f};
  dets = decode_efficientdet(classes, boxes, 2, anchors, 1.0, std::nullopt, {});
  EXPECT_EQ(dets[0].class_id, 1);
  EXPECT_EQ(dets[1].class_id, 2);
  EXPECT_NEAR(dets[1].score, 1 / (1 + std::exp(-1.0)), 1e-12);
}

TEST(EfficientDetDecode, AtMostOneHundredDetections) {
  // 300 disjoint anchors of one class: 100 kept, the best ones, in score order.
  std::vector<Anchor> anchors;
  std::vector<float> classes;
  for (int i = 0; i < 300; ++i) {
    anchors.push_back({0, 20.0 * i, 10, 20.0 * i + 10});
    classes.push_back(static_cast<float>(i) / 100);
  }
  const std::vector<float> boxes(1200, 0.f);
  const auto dets = decode_efficientdet(classes, boxes, 1, anchors, 1.0, std::nullopt, {});
  ASSERT_EQ(dets.size(), 100u);
  EXPECT_DOUBLE_EQ(dets[0].x, 20.0 * 299);
  EXPECT_DOUBLE_EQ(dets[99].x, 20.0 * 200);
  for (std::size_t i = 1; i < dets.size(); ++i) EXPECT_GT(dets[i - 1].score, dets[i].score);
}

}  // namespace
}  // namespace kiln::eval
