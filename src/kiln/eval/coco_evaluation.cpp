// COCOeval, bbox, default parameters. Each step keeps pycocotools' exact conventions, because
// the published figures were computed with it: stable (mergesort) score order, ties at the IoU
// threshold count as matches, the matching for maxDets 1 and 10 is the one made with 100
// detections, np.linspace thresholds, searchsorted(side='left') on recall, precision 0 past the
// highest recall reached, -1 for categories without ground truth.

#include "kiln/eval/coco_evaluation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "kiln/core/error.h"
#include "kiln/eval/first_failure.h"

namespace kiln::eval {

namespace {

constexpr int kT = 10;
constexpr int kR = 101;
constexpr int kA = CocoEvalResult::kAreas;
constexpr int kM = 3;
constexpr int kMaxDet = 100;
// areaRng: all, small, medium, large; both ends inclusive (an area outside is "< lo or > hi").
constexpr double kAreaRanges[kA][2] = {
    {0, 1e5 * 1e5}, {0, 32.0 * 32.0}, {32.0 * 32.0, 96.0 * 96.0}, {96.0 * 96.0, 1e5 * 1e5}};

// np.linspace(start, stop, num): arange(num) * ((stop - start) / (num - 1)) + start, last = stop.
std::vector<double> linspace(double start, double stop, int num) {
  const double step = (stop - start) / (num - 1);
  std::vector<double> values(static_cast<std::size_t>(num));
  for (int i = 0; i < num; ++i) values[static_cast<std::size_t>(i)] = i * step + start;
  values.back() = stop;
  return values;
}

// evaluateImg's output for one image, category and area range, detections cut to 100.
struct ImageEval {
  std::vector<double> scores;    // D, descending
  std::vector<std::uint8_t> tp;  // T x D: matched (to a ground truth with a non-zero id), kept
  std::vector<std::uint8_t> fp;  // T x D: unmatched, kept
  std::int64_t kept_ground_truth = 0;  // ground truths not ignored (npig contribution)
};

}  // namespace

double coco_box_iou(const CocoBox& d, const CocoBox& g, bool crowd) {
  // maskApi.c bbIou, operation for operation.
  const double w = std::fmin(d.width + d.x, g.width + g.x) - std::fmax(d.x, g.x);
  if (w <= 0) return 0;
  const double h = std::fmin(d.height + d.y, g.height + g.y) - std::fmax(d.y, g.y);
  if (h <= 0) return 0;
  const double intersection = w * h;
  const double detection_area = d.width * d.height;
  const double union_area =
      crowd ? detection_area : detection_area + g.width * g.height - intersection;
  return intersection / union_area;
}

double CocoEvalResult::precision_at(int t, int r, int k, int a, int m) const {
  const std::size_t K = category_ids.size();
  return precision[((((static_cast<std::size_t>(t) * kR + r) * K + k) * kA + a) * kM) + m];
}

double CocoEvalResult::recall_at(int t, int k, int a, int m) const {
  const std::size_t K = category_ids.size();
  return recall[(((static_cast<std::size_t>(t) * K + k) * kA + a) * kM) + m];
}

double CocoEvalResult::category_ap(int k) const {
  double sum = 0;
  std::int64_t count = 0;
  for (int t = 0; t < kT; ++t) {
    for (int r = 0; r < kR; ++r) {
      const double p = precision_at(t, r, k, 0, 2);
      if (p > -1) {
        sum += p;
        ++count;
      }
    }
  }
  return count == 0 ? -1 : sum / static_cast<double>(count);
}

namespace {

// evaluateImg for every area range of one (image, category): `gts` and `dts` in file order.
void evaluate_image(const std::vector<const CocoAnnotation*>& gts,
                    std::vector<const CocoDetection*> dts,
                    const std::vector<double>& iou_thresholds, std::array<ImageEval, kA>& out) {
  std::stable_sort(dts.begin(), dts.end(), [](const CocoDetection* a, const CocoDetection* b) {
    return a->score > b->score;
  });
  if (dts.size() > static_cast<std::size_t>(kMaxDet)) dts.resize(kMaxDet);
  const std::size_t D = dts.size();
  const std::size_t G = gts.size();
  std::vector<double> ious(D * G);
  for (std::size_t d = 0; d < D; ++d) {
    for (std::size_t g = 0; g < G; ++g) {
      ious[d * G + g] = coco_box_iou(dts[d]->bbox, gts[g]->bbox, gts[g]->iscrowd);
    }
  }
  std::vector<std::size_t> order(G);
  std::vector<std::uint8_t> ignored(G);    // by ground truth, file order
  std::vector<std::uint8_t> gt_ignore(G);  // by position in `order`
  std::vector<std::uint8_t> gt_matched(G);
  std::vector<std::int64_t> dt_match(D);  // matched ground truth id (0: none, as pycocotools)
  std::vector<std::uint8_t> dt_ignore(D);
  for (int a = 0; a < kA; ++a) {
    const double lo = kAreaRanges[a][0];
    const double hi = kAreaRanges[a][1];
    ImageEval& e = out[static_cast<std::size_t>(a)];
    e.scores.resize(D);
    e.tp.assign(static_cast<std::size_t>(kT) * D, 0);
    e.fp.assign(static_cast<std::size_t>(kT) * D, 0);
    // Crowd regions and objects outside the area range are ignore regions.
    e.kept_ground_truth = 0;
    for (std::size_t g = 0; g < G; ++g) {
      const CocoAnnotation& gt = *gts[g];
      ignored[g] = gt.iscrowd || gt.area < lo || gt.area > hi;
      if (!ignored[g]) ++e.kept_ground_truth;
    }
    // Ground truths not ignored first (a stable partition, as argsort(kind='mergesort')).
    std::iota(order.begin(), order.end(), 0);
    std::stable_partition(order.begin(), order.end(), [&](std::size_t g) { return !ignored[g]; });
    for (std::size_t j = 0; j < G; ++j) gt_ignore[j] = ignored[order[j]];
    for (std::size_t d = 0; d < D; ++d) e.scores[d] = dts[d]->score;
    for (int t = 0; t < kT; ++t) {
      std::fill(gt_matched.begin(), gt_matched.end(), 0);
      const double threshold = std::min(iou_thresholds[static_cast<std::size_t>(t)], 1 - 1e-10);
      for (std::size_t d = 0; d < D; ++d) {
        double best = threshold;
        std::ptrdiff_t m = -1;
        for (std::size_t j = 0; j < G; ++j) {
          const std::size_t g = order[j];
          if (gt_matched[j] && !gts[g]->iscrowd) continue;
          // Matched to a regular ground truth and only ignored ones are left: stop.
          if (m > -1 && !gt_ignore[static_cast<std::size_t>(m)] && gt_ignore[j]) break;
          const double iou = ious[d * G + g];
          if (iou < best) continue;
          best = iou;
          m = static_cast<std::ptrdiff_t>(j);
        }
        if (m == -1) {
          dt_match[d] = 0;
          dt_ignore[d] = 0;
        } else {
          const std::size_t j = static_cast<std::size_t>(m);
          dt_ignore[d] = gt_ignore[j];
          dt_match[d] = gts[order[j]]->id;
          gt_matched[j] = 1;
        }
      }
      for (std::size_t d = 0; d < D; ++d) {
        const CocoBox& box = dts[d]->bbox;
        const double area = box.width * box.height;  // loadRes: bb[2] * bb[3]
        // Unmatched detections outside the area range are ignored too.
        const bool ignore = dt_ignore[d] || (dt_match[d] == 0 && (area < lo || area > hi));
        const std::size_t at = static_cast<std::size_t>(t) * D + d;
        e.tp[at] = !ignore && dt_match[d] != 0;
        e.fp[at] = !ignore && dt_match[d] == 0;
      }
    }
  }
}

// accumulate() for one category, area range and maxDets: precision [T][R] and recall [T].
void accumulate(const std::vector<const ImageEval*>& evals, int max_det,
                const std::vector<double>& recall_thresholds, double* precision_tr,
                double* recall_t) {
  std::int64_t kept_ground_truth = 0;
  std::size_t total = 0;
  for (const ImageEval* e : evals) {
    kept_ground_truth += e->kept_ground_truth;
    total += std::min(e->scores.size(), static_cast<std::size_t>(max_det));
  }
  if (kept_ground_truth == 0) return;  // stays -1
  // Concatenate in image order, then a stable sort by descending score.
  struct Ref {
    double score;
    const ImageEval* e;
    std::size_t d;
  };
  std::vector<Ref> refs;
  refs.reserve(total);
  for (const ImageEval* e : evals) {
    const std::size_t n = std::min(e->scores.size(), static_cast<std::size_t>(max_det));
    for (std::size_t d = 0; d < n; ++d) refs.push_back({e->scores[d], e, d});
  }
  std::stable_sort(refs.begin(), refs.end(),
                   [](const Ref& a, const Ref& b) { return a.score > b.score; });
  const std::size_t nd = refs.size();
  const double npig = static_cast<double>(kept_ground_truth);
  std::vector<double> rc(nd), pr(nd);
  for (int t = 0; t < kT; ++t) {
    double tp = 0, fp = 0;
    for (std::size_t i = 0; i < nd; ++i) {
      const std::size_t at = static_cast<std::size_t>(t) * refs[i].e->scores.size() + refs[i].d;
      tp += refs[i].e->tp[at];
      fp += refs[i].e->fp[at];
      rc[i] = tp / npig;
      pr[i] = tp / (fp + tp + std::numeric_limits<double>::epsilon());  // np.spacing(1)
    }
    recall_t[t] = nd ? rc[nd - 1] : 0;
    for (std::size_t i = nd; i-- > 1;) {
      if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    }
    for (int r = 0; r < kR; ++r) {
      const std::size_t i = static_cast<std::size_t>(
          std::lower_bound(rc.begin(), rc.begin() + static_cast<std::ptrdiff_t>(nd),
                           recall_thresholds[static_cast<std::size_t>(r)]) -
          rc.begin());
      precision_tr[static_cast<std::size_t>(t) * kR + r] = i < nd ? pr[i] : 0;
    }
  }
}

}  // namespace

CocoEvalResult evaluate_coco(const CocoGroundTruth& ground_truth,
                             const std::vector<CocoDetection>& detections,
                             const CocoEvalOptions& options) {
  CocoEvalResult result;
  result.iou_thresholds = linspace(0.5, 0.95, kT);
  result.recall_thresholds = linspace(0.0, 1.0, kR);

  std::unordered_set<std::int64_t> known_images;
  for (const CocoImage& image : ground_truth.images) known_images.insert(image.id);
  for (const CocoDetection& d : detections) {
    if (!known_images.count(d.image_id)) {
      throw_user_error(
          "detections are on image id {}, which is not in the ground truth (results do not "
          "correspond to this annotation file)",
          d.image_id);
    }
  }
  if (options.image_ids.empty()) {
    for (const CocoImage& image : ground_truth.images) result.image_ids.push_back(image.id);
  } else {
    result.image_ids = options.image_ids;
  }
  std::sort(result.image_ids.begin(), result.image_ids.end());
  result.image_ids.erase(std::unique(result.image_ids.begin(), result.image_ids.end()),
                         result.image_ids.end());
  for (const CocoCategory& c : ground_truth.categories) result.category_ids.push_back(c.id);
  std::sort(result.category_ids.begin(), result.category_ids.end());
  result.category_ids.erase(std::unique(result.category_ids.begin(), result.category_ids.end()),
                            result.category_ids.end());

  const std::size_t I = result.image_ids.size();
  const std::size_t K = result.category_ids.size();
  std::unordered_map<std::int64_t, std::size_t> image_index, category_index;
  for (std::size_t i = 0; i < I; ++i) image_index[result.image_ids[i]] = i;
  for (std::size_t k = 0; k < K; ++k) category_index[result.category_ids[k]] = k;

  // (category, image) -> ground truths and detections, each in file order.
  std::vector<std::vector<std::pair<std::size_t, const CocoAnnotation*>>> gts_by_category(K);
  std::vector<std::vector<std::pair<std::size_t, const CocoDetection*>>> dts_by_category(K);
  for (const CocoAnnotation& a : ground_truth.annotations) {
    auto i = image_index.find(a.image_id);
    auto k = category_index.find(a.category_id);
    if (i != image_index.end() && k != category_index.end()) {
      gts_by_category[k->second].emplace_back(i->second, &a);
    }
  }
  for (const CocoDetection& d : detections) {
    auto i = image_index.find(d.image_id);
    auto k = category_index.find(d.category_id);
    if (i != image_index.end() && k != category_index.end()) {
      dts_by_category[k->second].emplace_back(i->second, &d);
      ++result.detections;
    }
  }

  result.precision.assign(static_cast<std::size_t>(kT) * kR * K * kA * kM, -1.0);
  result.recall.assign(static_cast<std::size_t>(kT) * K * kA * kM, -1.0);
  FirstFailure failure;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < K; ++k) {
    try {
      auto by_image = [](auto& list) {
        std::stable_sort(list.begin(), list.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
      };
      auto& gts = gts_by_category[k];
      auto& dts = dts_by_category[k];
      by_image(gts);
      by_image(dts);
      // evalImgs of this category, for images with ground truth or detections, in image order.
      std::vector<std::array<ImageEval, kA>> evals;
      std::size_t g = 0, d = 0;
      std::vector<const CocoAnnotation*> image_gts;
      std::vector<const CocoDetection*> image_dts;
      while (g < gts.size() || d < dts.size()) {
        const std::size_t image =
            std::min(g < gts.size() ? gts[g].first : I, d < dts.size() ? dts[d].first : I);
        image_gts.clear();
        image_dts.clear();
        for (; g < gts.size() && gts[g].first == image; ++g) image_gts.push_back(gts[g].second);
        for (; d < dts.size() && dts[d].first == image; ++d) image_dts.push_back(dts[d].second);
        evals.emplace_back();
        evaluate_image(image_gts, image_dts, result.iou_thresholds, evals.back());
      }
      std::vector<const ImageEval*> area_evals(evals.size());
      std::vector<double> precision_tr(static_cast<std::size_t>(kT) * kR);
      std::vector<double> recall_t(kT);
      for (int a = 0; a < kA; ++a) {
        for (std::size_t e = 0; e < evals.size(); ++e) {
          area_evals[e] = &evals[e][static_cast<std::size_t>(a)];
        }
        for (int m = 0; m < kM; ++m) {
          std::fill(precision_tr.begin(), precision_tr.end(), -1.0);
          std::fill(recall_t.begin(), recall_t.end(), -1.0);
          accumulate(area_evals, CocoEvalResult::kMaxDetections[static_cast<std::size_t>(m)],
                     result.recall_thresholds, precision_tr.data(), recall_t.data());
          for (int t = 0; t < kT; ++t) {
            result.recall[(((static_cast<std::size_t>(t) * K + k) * kA + a) * kM) + m] =
                recall_t[static_cast<std::size_t>(t)];
            for (int r = 0; r < kR; ++r) {
              result.precision[((((static_cast<std::size_t>(t) * kR + r) * K + k) * kA + a) * kM) +
                               m] = precision_tr[static_cast<std::size_t>(t) * kR + r];
            }
          }
        }
      }
    } catch (...) {
      failure.record(k);
    }
  }
  failure.rethrow_if_failed();

  // summarize(): the mean of the entries > -1 of each slice, -1 when there are none.
  auto mean_precision = [&](int t_only, int a, int m) {
    long double sum = 0;
    std::int64_t count = 0;
    for (int t = 0; t < kT; ++t) {
      if (t_only >= 0 && t != t_only) continue;
      for (int r = 0; r < kR; ++r) {
        for (std::size_t k = 0; k < K; ++k) {
          const double p = result.precision_at(t, r, static_cast<int>(k), a, m);
          if (p > -1) {
            sum += p;
            ++count;
          }
        }
      }
    }
    return count ? static_cast<double>(sum / count) : -1.0;
  };
  auto mean_recall = [&](int a, int m) {
    long double sum = 0;
    std::int64_t count = 0;
    for (int t = 0; t < kT; ++t) {
      for (std::size_t k = 0; k < K; ++k) {
        const double r = result.recall_at(t, static_cast<int>(k), a, m);
        if (r > -1) {
          sum += r;
          ++count;
        }
      }
    }
    return count ? static_cast<double>(sum / count) : -1.0;
  };
  // iouThr .5 and .75 are iou_thresholds[0] and [5] (np.where(iouThr == p.iouThrs)).
  result.stats = {mean_precision(-1, 0, 2), mean_precision(0, 0, 2),  mean_precision(5, 0, 2),
                  mean_precision(-1, 1, 2), mean_precision(-1, 2, 2), mean_precision(-1, 3, 2),
                  mean_recall(0, 0),        mean_recall(0, 1),        mean_recall(0, 2),
                  mean_recall(1, 2),        mean_recall(2, 2),        mean_recall(3, 2)};
  return result;
}

std::string format_coco_summary(const CocoEvalResult& result) {
  struct Line {
    bool ap;
    const char* iou;
    const char* area;
    int max_dets;
  };
  static constexpr Line kLines[12] = {
      {true, "0.50:0.95", "all", 100},     {true, "0.50", "all", 100},
      {true, "0.75", "all", 100},          {true, "0.50:0.95", "small", 100},
      {true, "0.50:0.95", "medium", 100},  {true, "0.50:0.95", "large", 100},
      {false, "0.50:0.95", "all", 1},      {false, "0.50:0.95", "all", 10},
      {false, "0.50:0.95", "all", 100},    {false, "0.50:0.95", "small", 100},
      {false, "0.50:0.95", "medium", 100}, {false, "0.50:0.95", "large", 100}};
  std::string text;
  for (int i = 0; i < 12; ++i) {
    const Line& line = kLines[i];
    // ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'
    text +=
        fmt::format(" {:<18} {} @[ IoU={:<9} | area={:>6} | maxDets={:>3} ] = {:0.3f}\n",
                    line.ap ? "Average Precision" : "Average Recall", line.ap ? "(AP)" : "(AR)",
                    line.iou, line.area, line.max_dets, result.stats[static_cast<std::size_t>(i)]);
  }
  return text;
}

Report make_coco_report(const CocoEvalResult& result, const CocoGroundTruth& ground_truth) {
  static constexpr const char* kNames[12] = {"AP",  "AP50", "AP75",  "APs", "APm", "APl",
                                             "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
  Report report;
  report.rows.push_back({"Number of images", std::to_string(result.image_ids.size())});
  report.rows.push_back({"mAP", fmt::format("{:.1f}", result.stats[0] * 100)});
  nlohmann::ordered_json metrics;
  metrics["task"] = "coco";
  metrics["images"] = result.image_ids.size();
  metrics["detections"] = result.detections;
  nlohmann::ordered_json stats;
  for (int i = 0; i < 12; ++i) {
    report.rows.push_back(
        {kNames[i], fmt::format("{:0.3f}", result.stats[static_cast<std::size_t>(i)])});
    stats[kNames[i]] = result.stats[static_cast<std::size_t>(i)];
  }
  metrics["stats"] = stats;
  std::unordered_map<std::int64_t, std::string> names;
  for (const CocoCategory& c : ground_truth.categories) names[c.id] = c.name;
  nlohmann::ordered_json per_category = nlohmann::ordered_json::array();
  for (std::size_t k = 0; k < result.category_ids.size(); ++k) {
    const double ap = result.category_ap(static_cast<int>(k));
    per_category.push_back({{"category_id", result.category_ids[k]},
                            {"name", names[result.category_ids[k]]},
                            {"ap", ap > -1 ? nlohmann::ordered_json(ap) : nullptr}});
  }
  metrics["per_category_ap"] = per_category;
  report.metrics_json = metrics.dump();
  report.table = format_coco_summary(result) +
                 fmt::format("mAP: {:.1f} over {} images, {} detections\n", result.stats[0] * 100,
                             result.image_ids.size(), result.detections);
  return report;
}

}  // namespace kiln::eval
