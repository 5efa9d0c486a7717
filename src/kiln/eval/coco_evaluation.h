// The COCO bbox evaluation protocol of pycocotools' COCOeval (evaluate, accumulate, summarize).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/eval/coco_dataset.h"
#include "kiln/eval/result_json.h"

namespace kiln::eval {

/// Intersection over union of COCO boxes as pycocotools' bbIou: for a crowd ground truth the
/// union is the detection's area (a detection inside a crowd region overlaps it fully).
double coco_box_iou(const CocoBox& detection, const CocoBox& ground_truth, bool crowd);

struct CocoEvalOptions {
  /// Images to evaluate; empty means every image of the ground truth (COCOeval's default).
  std::vector<std::int64_t> image_ids;
};

/// COCOeval's parameters and accumulated arrays (params, eval['precision'], eval['recall']).
struct CocoEvalResult {
  std::vector<double> iou_thresholds;      ///< T = 10: .50:.05:.95 as np.linspace makes them
  std::vector<double> recall_thresholds;   ///< R = 101: 0:.01:1
  std::vector<std::int64_t> category_ids;  ///< K, sorted
  std::vector<std::int64_t> image_ids;     ///< evaluated images, sorted
  static constexpr int kAreas = 4;         ///< all, small, medium, large
  static constexpr std::array<int, 3> kMaxDetections = {1, 10, 100};
  /// [T][R][K][A][M], -1 where a category has no ground truth (in that area range).
  std::vector<double> precision;
  /// [T][K][A][M], -1 likewise.
  std::vector<double> recall;
  /// The 12 numbers of COCOeval.summarize() (stats[0] is the mAP@[.5:.95]).
  std::array<double, 12> stats{};
  std::int64_t detections = 0;  ///< detections on evaluated images and categories

  double precision_at(int t, int r, int k, int a, int m) const;
  double recall_at(int t, int k, int a, int m) const;
  /// AP@[.5:.95], all areas, 100 detections, of category index k; -1 without ground truth.
  double category_ap(int k) const;
};

/// Runs the protocol: per image and category, detections sorted by score (stable) and cut to
/// 100, greedy matching at each IoU threshold (crowd and out-of-range ground truth as ignore
/// regions), 101-point interpolated precision made monotone from the right, averaged over
/// categories that have ground truth. Detections on images outside the ground truth are a user
/// error (as COCO.loadRes asserts); detections of categories outside it are not evaluated.
CocoEvalResult evaluate_coco(const CocoGroundTruth& ground_truth,
                             const std::vector<CocoDetection>& detections,
                             const CocoEvalOptions& options = {});

/// The 12 lines COCOeval.summarize() prints, e.g.
/// " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.336".
std::string format_coco_summary(const CocoEvalResult& result);

/// Rows "mAP" (stats[0] * 100, as the guide's postprocess prints it) and the 12 numbers; the
/// metrics section holds the stats and per-category AP.
Report make_coco_report(const CocoEvalResult& result, const CocoGroundTruth& ground_truth);

}  // namespace kiln::eval
