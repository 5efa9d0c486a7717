// COCOeval on hand-worked cases (perfect, all wrong, a precision-recall curve worked by hand,
// crowd regions, more than 100 detections, empty images, absent categories) and properties
// (detection order does not matter, shifting boxes lowers AP monotonically).

#include "kiln/eval/coco_evaluation.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "kiln/core/error.h"

namespace kiln::eval {
namespace {

CocoGroundTruth make_ground_truth(std::vector<CocoAnnotation> annotations, int images = 2,
                                  std::vector<std::int64_t> categories = {1, 2, 3}) {
  CocoGroundTruth gt;
  for (int i = 1; i <= images; ++i) gt.images.push_back({i, "", 640, 480});
  for (std::int64_t c : categories) gt.categories.push_back({c, fmt::format("c{}", c)});
  std::int64_t id = 1;
  for (CocoAnnotation& a : annotations) {
    if (a.id == 0) a.id = id;
    ++id;
    if (a.area == 0) a.area = a.bbox.width * a.bbox.height;
  }
  gt.annotations = std::move(annotations);
  return gt;
}

CocoAnnotation annotation(std::int64_t image, std::int64_t category, CocoBox box,
                          bool crowd = false) {
  CocoAnnotation a;
  a.image_id = image;
  a.category_id = category;
  a.bbox = box;
  a.iscrowd = crowd;
  return a;
}

CocoDetection detection(std::int64_t image, std::int64_t category, CocoBox box, double score) {
  return {image, category, box, score};
}

TEST(CocoBoxIou, RegularCrowdAndDisjoint) {
  const CocoBox a{0, 0, 10, 10}, b{5, 0, 10, 10};
  EXPECT_DOUBLE_EQ(coco_box_iou(a, b, false), 50.0 / 150.0);
  // Crowd: intersection over the detection's area.
  EXPECT_DOUBLE_EQ(coco_box_iou(a, b, true), 50.0 / 100.0);
  EXPECT_DOUBLE_EQ(coco_box_iou(CocoBox{2, 2, 2, 2}, CocoBox{0, 0, 100, 100}, true), 1.0);
  EXPECT_EQ(coco_box_iou(a, CocoBox{10, 0, 5, 5}, false), 0.0);  // touching
}

TEST(CocoEval, PerfectDetectionsScoreOne) {
  const CocoGroundTruth gt = make_ground_truth({annotation(1, 1, {10, 10, 50, 50}),    // medium
                                                annotation(1, 2, {100, 100, 20, 20}),  // small
                                                annotation(2, 1, {0, 0, 200, 200})});  // large
  const std::vector<CocoDetection> dts = {detection(1, 1, {10, 10, 50, 50}, 0.9),
                                          detection(1, 2, {100, 100, 20, 20}, 0.8),
                                          detection(2, 1, {0, 0, 200, 200}, 0.7)};
  const CocoEvalResult result = evaluate_coco(gt, dts);
  for (int i = 0; i < 12; ++i)
    EXPECT_DOUBLE_EQ(result.stats[static_cast<std::size_t>(i)], 1.0) << i;
  EXPECT_EQ(result.category_ids, (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(result.category_ap(2), -1);  // category 3: no ground truth
  EXPECT_EQ(result.detections, 3);
}

TEST(CocoEval, AllWrongScoresZero) {
  const CocoGroundTruth gt = make_ground_truth(
      {annotation(1, 1, {10, 10, 50, 50}), annotation(2, 2, {300, 300, 120, 120})});
  const std::vector<CocoDetection> dts = {
      detection(1, 1, {200, 200, 50, 50}, 0.9),    // no overlap
      detection(2, 1, {300, 300, 120, 120}, 0.9),  // right box, wrong category
  };
  const CocoEvalResult result = evaluate_coco(gt, dts);
  EXPECT_EQ(result.stats[0], 0.0);
  EXPECT_EQ(result.stats[8], 0.0);
  EXPECT_EQ(result.stats[3], -1.0);  // no small ground truth anywhere
}

TEST(CocoEval, HandWorkedPrecisionRecallCurve) {
  // Two ground truths, three detections: hit (0.9), miss (0.8), hit (0.7).
  // recall 0.5, 0.5, 1; precision 1, 0.5, 2/3 -> monotone 1, 2/3, 2/3.
  // Recall thresholds 0 .. 0.50 (51 of them) read precision 1, 0.51 .. 1 (50) read 2/3.
  const CocoGroundTruth gt = make_ground_truth(
      {annotation(1, 1, {0, 0, 40, 40}), annotation(1, 1, {100, 100, 40, 40})}, 1, {1});
  const std::vector<CocoDetection> dts = {detection(1, 1, {0, 0, 40, 40}, 0.9),
                                          detection(1, 1, {300, 300, 40, 40}, 0.8),
                                          detection(1, 1, {100, 100, 40, 40}, 0.7)};
  const CocoEvalResult result = evaluate_coco(gt, dts);
  const double expected = (51 * 1.0 + 50 * (2.0 / 3.0)) / 101;
  EXPECT_NEAR(result.stats[0], expected, 1e-12);
  EXPECT_NEAR(result.stats[1], expected, 1e-12);
  EXPECT_NEAR(result.stats[2], expected, 1e-12);
  EXPECT_DOUBLE_EQ(result.stats[6], 0.5);  // one detection per image: one of two found
  EXPECT_DOUBLE_EQ(result.stats[8], 1.0);
  // tp / (tp + fp + np.spacing(1)): one ulp under 1.
  EXPECT_EQ(result.precision_at(0, 50, 0, 0, 2), 1 / (1 + 2.220446049250313e-16));
  EXPECT_NEAR(result.precision_at(0, 51, 0, 0, 2), 2.0 / 3.0, 1e-15);
}

TEST(CocoEval, IouThresholdsDecideWhichThresholdsCountAMatch) {
  // IoU 0.6 with the ground truth: a match at thresholds 0.50, 0.55, 0.60 (ties match), a miss
  // at the 7 others.
  const CocoGroundTruth gt = make_ground_truth({annotation(1, 1, {0, 0, 100, 100})}, 1, {1});
  const std::vector<CocoDetection> dts = {detection(1, 1, {0, 0, 100, 60}, 0.9)};
  const CocoEvalResult result = evaluate_coco(gt, dts);
  EXPECT_DOUBLE_EQ(result.stats[1], 1.0);
  EXPECT_DOUBLE_EQ(result.stats[2], 0.0);
  EXPECT_NEAR(result.stats[0], 0.3, 1e-12);
}

TEST(CocoEval, CrowdRegionsAreIgnoredAndMatchManyDetections) {
  const CocoBox person{10, 10, 40, 80};
  const CocoBox crowd{200, 0, 300, 300};
  const std::vector<CocoDetection> dts = {
      detection(1, 1, {220, 20, 30, 60}, 0.95),   // inside the crowd region
      detection(1, 1, {300, 100, 30, 60}, 0.93),  // inside it too
      detection(1, 1, person, 0.9)};
  const CocoEvalResult with_crowd = evaluate_coco(
      make_ground_truth({annotation(1, 1, person), annotation(1, 1, crowd, true)}, 1, {1}), dts);
  EXPECT_DOUBLE_EQ(with_crowd.stats[0], 1.0);
  EXPECT_DOUBLE_EQ(with_crowd.stats[8], 1.0);  // the crowd is not a ground truth to find
  // The same region as a regular object: the two detections inside it are false positives
  // ranked above the hit, and the big object is never found.
  const CocoEvalResult without = evaluate_coco(
      make_ground_truth({annotation(1, 1, person), annotation(1, 1, crowd, false)}, 1, {1}), dts);
  EXPECT_LT(without.stats[0], 0.5);
  EXPECT_DOUBLE_EQ(without.stats[8], 0.5);
}

TEST(CocoEval, OnlyTheHundredBestDetectionsPerImageCount) {
  const CocoGroundTruth gt = make_ground_truth({annotation(1, 1, {0, 0, 50, 50})}, 1, {1});
  auto run = [&](int false_positives) {
    std::vector<CocoDetection> dts;
    for (int i = 0; i < false_positives; ++i) {
      dts.push_back(detection(1, 1, {1000.0 + 60 * i, 0, 50, 50}, 0.99 - 0.001 * i));
    }
    dts.push_back(detection(1, 1, {0, 0, 50, 50}, 0.5));
    return evaluate_coco(gt, dts);
  };
  const CocoEvalResult rank_100 = run(99);
  EXPECT_NEAR(rank_100.stats[0], 0.01, 1e-12);  // found at rank 100: precision 1/100
  EXPECT_DOUBLE_EQ(rank_100.stats[7], 0.0);     // not within 10
  EXPECT_DOUBLE_EQ(rank_100.stats[8], 1.0);
  const CocoEvalResult rank_150 = run(149);
  EXPECT_DOUBLE_EQ(rank_150.stats[0], 0.0);  // cut off
  EXPECT_DOUBLE_EQ(rank_150.stats[8], 0.0);
  EXPECT_EQ(rank_150.detections, 150);
}

TEST(CocoEval, EmptyImagesAndEmptyResults) {
  CocoGroundTruth gt = make_ground_truth({annotation(1, 1, {0, 0, 50, 50})}, 3, {1});
  // Image 2 and 3 have no ground truth; a detection there is a false positive.
  const CocoEvalResult clean = evaluate_coco(gt, {detection(1, 1, {0, 0, 50, 50}, 0.5)});
  EXPECT_DOUBLE_EQ(clean.stats[0], 1.0);
  const CocoEvalResult noisy = evaluate_coco(
      gt, {detection(1, 1, {0, 0, 50, 50}, 0.5), detection(3, 1, {0, 0, 50, 50}, 0.9)});
  EXPECT_NEAR(noisy.stats[0], 0.5, 1e-12);  // rank 2: precision 1/2 at every recall
  const CocoEvalResult nothing = evaluate_coco(gt, {});
  EXPECT_EQ(nothing.stats[0], 0.0);
  EXPECT_EQ(nothing.stats[8], 0.0);
  // Restricting the evaluation to the images without ground truth leaves nothing to average.
  const CocoEvalResult restricted =
      evaluate_coco(gt, {detection(3, 1, {0, 0, 50, 50}, 0.9)}, {.image_ids = {2, 3}});
  EXPECT_EQ(restricted.stats[0], -1.0);
}

TEST(CocoEval, CategoriesWithoutGroundTruthAreLeftOut) {
  const CocoGroundTruth gt = make_ground_truth({annotation(1, 1, {0, 0, 50, 50})}, 1, {1, 2});
  const CocoEvalResult base = evaluate_coco(gt, {detection(1, 1, {0, 0, 50, 50}, 0.5)});
  // Detections of category 2, which has no ground truth, do not change the mean (-1 there).
  const CocoEvalResult extra = evaluate_coco(
      gt, {detection(1, 1, {0, 0, 50, 50}, 0.5), detection(1, 2, {0, 0, 50, 50}, 0.9)});
  EXPECT_EQ(base.stats, extra.stats);
  EXPECT_EQ(extra.category_ap(1), -1);
  // A category outside the annotation file is not evaluated at all.
  const CocoEvalResult unknown = evaluate_coco(
      gt, {detection(1, 1, {0, 0, 50, 50}, 0.5), detection(1, 77, {0, 0, 50, 50}, 0.9)});
  EXPECT_EQ(base.stats, unknown.stats);
  EXPECT_EQ(unknown.detections, 1);
}

TEST(CocoEval, AreaRangesIncludeTheirBounds) {
  // Area exactly 32^2 is both small and medium (ranges test area < lo or area > hi).
  const CocoGroundTruth gt = make_ground_truth({annotation(1, 1, {0, 0, 32, 32})}, 1, {1});
  const CocoEvalResult result = evaluate_coco(gt, {detection(1, 1, {0, 0, 32, 32}, 0.5)});
  EXPECT_DOUBLE_EQ(result.stats[3], 1.0);
  EXPECT_DOUBLE_EQ(result.stats[4], 1.0);
  EXPECT_EQ(result.stats[5], -1.0);
}

TEST(CocoEval, DetectionsOnUnknownImagesAreAUserError) {
  const CocoGroundTruth gt = make_ground_truth({annotation(1, 1, {0, 0, 50, 50})}, 1, {1});
  try {
    evaluate_coco(gt, {detection(42, 1, {0, 0, 5, 5}, 0.5)});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUser);
    EXPECT_NE(std::string(e.what()).find("image id 42"), std::string::npos);
  }
}

// A cluttered random scene: overlapping ground truths of 3 categories on 20 images (some crowd),
// detections = jittered ground truths plus false positives.
struct Scene {
  CocoGroundTruth gt;
  std::vector<CocoDetection> dts;
};

Scene cluttered_scene() {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> pos(0, 500), size(5, 150), score(0, 1), jitter(-3, 3);
  std::vector<CocoAnnotation> annotations;
  for (int image = 1; image <= 20; ++image) {
    for (int n = 0; n < 6; ++n) {
      annotations.push_back(annotation(image, 1 + n % 3, {pos(rng), pos(rng), size(rng), size(rng)},
                                       n == 5 && image % 4 == 0));
    }
  }
  Scene scene{make_ground_truth(annotations, 20), {}};
  for (const CocoAnnotation& a : scene.gt.annotations) {
    const CocoBox& b = a.bbox;
    scene.dts.push_back(detection(
        a.image_id, a.category_id,
        {b.x + jitter(rng), b.y + jitter(rng), b.width + jitter(rng), b.height + jitter(rng)},
        score(rng)));
    if (score(rng) < 0.3) {
      scene.dts.push_back(detection(a.image_id, a.category_id,
                                    {pos(rng), pos(rng), size(rng), size(rng)}, score(rng)));
    }
  }
  return scene;
}

// Ground truths 400 pixels apart, detections = ground truths moved right by `shift` widths
// (other sides jittered), false positives far below: a detection can only ever match its own
// ground truth, and its IoU falls as the shift grows.
Scene shifted_scene(double shift) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> size(5, 150), score(0, 1), jitter(0, 2);
  std::vector<CocoAnnotation> annotations;
  for (int image = 1; image <= 20; ++image) {
    for (int n = 0; n < 6; ++n) {
      annotations.push_back(annotation(image, 1 + n % 3, {400.0 * n, 0, size(rng), size(rng)}));
    }
  }
  Scene scene{make_ground_truth(annotations, 20), {}};
  for (const CocoAnnotation& a : scene.gt.annotations) {
    const CocoBox& b = a.bbox;
    scene.dts.push_back(detection(
        a.image_id, a.category_id,
        {b.x + shift * b.width, b.y + jitter(rng), b.width + jitter(rng), b.height - jitter(rng)},
        score(rng)));
    scene.dts.push_back(
        detection(a.image_id, a.category_id, {b.x, 5000, b.width, b.height}, score(rng)));
  }
  return scene;
}

TEST(CocoEval, DetectionOrderDoesNotMatter) {
  Scene scene = cluttered_scene();
  const CocoEvalResult first = evaluate_coco(scene.gt, scene.dts);
  std::mt19937 rng(9);
  std::shuffle(scene.dts.begin(), scene.dts.end(), rng);
  std::shuffle(scene.gt.annotations.begin(), scene.gt.annotations.end(), rng);
  std::reverse(scene.gt.images.begin(), scene.gt.images.end());
  const CocoEvalResult second = evaluate_coco(scene.gt, scene.dts);
  EXPECT_EQ(first.stats, second.stats);
  EXPECT_GT(first.stats[0], 0.3);
}

TEST(CocoEval, ShiftingBoxesLowersApMonotonically) {
  double previous = 2;
  for (double shift : {0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2}) {
    const Scene scene = shifted_scene(shift);
    const double ap = evaluate_coco(scene.gt, scene.dts).stats[0];
    EXPECT_LE(ap, previous) << "shift " << shift;
    previous = ap;
  }
  EXPECT_EQ(previous, 0.0);  // no overlap left
}

TEST(CocoEval, SummaryLinesAsPycocotools) {
  const CocoGroundTruth gt = make_ground_truth({annotation(1, 1, {0, 0, 50, 50})}, 1, {1});
  const std::string summary =
      format_coco_summary(evaluate_coco(gt, {detection(1, 1, {0, 0, 50, 50}, 0.5)}));
  EXPECT_EQ(summary.substr(0, summary.find('\n')),
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000");
  EXPECT_NE(summary.find(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] "
                         "= -1.000"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("| maxDets=  1 ]"), std::string::npos);
}

TEST(CocoDataset, ResultsJsonRoundTrips) {
  const std::vector<CocoDetection> dts = {detection(139, 1, {1.5, 2.25, 3.0, 4.0}, 0.987654321),
                                          detection(7, 90, {0.1, 0.2, 0.3, 1e-5}, 0.001)};
  const std::vector<CocoDetection> back =
      parse_coco_detections(format_coco_detections(dts), "memory");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].image_id, 139);
  EXPECT_EQ(back[0].bbox.y, 2.25);
  EXPECT_EQ(back[0].score, 0.987654321);
  EXPECT_EQ(back[1].bbox.height, 1e-5);
  EXPECT_EQ(back[1].category_id, 90);
  EXPECT_TRUE(parse_coco_detections("[]", "memory").empty());
  EXPECT_THROW(parse_coco_detections("{\"a\": 1}", "memory"), Error);
  EXPECT_THROW(parse_coco_detections("[{\"image_id\": 1}]", "memory"), Error);
  EXPECT_THROW(
      parse_coco_detections(R"([{"image_id":1,"category_id":1,"bbox":[1,2,3],"score":1}])", "m"),
      Error);
  // Extra fields (segmentation, area, id) are allowed.
  EXPECT_EQ(parse_coco_detections(R"([{"image_id":1,"category_id":1,"bbox":[1,2,3,4],
      "score":0.5,"segmentation":[[1,2,3]],"extra":{"a":[1]}}])",
                                  "m")
                .size(),
            1u);
}

TEST(CocoDataset, GroundTruthNeedsAreas) {
  EXPECT_THROW(parse_coco_ground_truth(R"({"images": [], "annotations": [{"id": 1, "image_id": 1,
      "category_id": 1, "bbox": [0, 0, 1, 1]}], "categories": []})",
                                       "gt.json"),
               Error);
  const CocoGroundTruth gt = parse_coco_ground_truth(
      R"({"images": [{"id": 5, "file_name": "a.jpg", "width": 4, "height": 3}],
          "annotations": [{"id": 1, "image_id": 5, "category_id": 2, "bbox": [0, 0, 1, 1],
                           "area": 0.5, "iscrowd": 1}],
          "categories": [{"id": 2, "name": "bicycle"}]})",
      "gt.json");
  EXPECT_EQ(gt.images[0].width, 4);
  EXPECT_TRUE(gt.annotations[0].iscrowd);
  EXPECT_EQ(gt.annotations[0].area, 0.5);
  EXPECT_EQ(gt.categories[0].name, "bicycle");
}

}  // namespace
}  // namespace kiln::eval
