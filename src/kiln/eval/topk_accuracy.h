// Top-N classification accuracy, as the seeds' imagenet_acc_eval.py computes it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "kiln/eval/output_reader.h"
#include "kiln/eval/result_json.h"

namespace kiln::eval {

/// Position of class `label` when `scores` are sorted in descending order, ties broken by the
/// smaller class index (a stable sort): 0 means top-1. A NaN score sorts after every number.
/// Works for logits and probabilities alike: only the order matters.
std::int64_t label_rank(std::span<const float> scores, std::int64_t label);

/// Counts, over samples, how often the label is within the top n, for n = 1 .. topn.
class TopkCounter {
 public:
  explicit TopkCounter(int topn);
  /// Adds one sample; `label` must index `scores`.
  void add(std::span<const float> scores, std::int64_t label);
  /// Merges another counter's counts (for parallel accumulation).
  void merge(const TopkCounter& other);
  std::int64_t samples() const { return samples_; }
  /// NaN and infinite scores seen, and the samples holding any: they rank as the reference's
  /// np.argsort(-scores) ranks them (NaN after every number, +inf first), and are reported.
  std::int64_t non_finite_scores() const { return non_finite_scores_; }
  std::int64_t samples_with_non_finite() const { return samples_with_non_finite_; }
  /// hits[n - 1]: samples whose label is within the top n (cumulative over n).
  std::vector<std::int64_t> cumulative_hits() const;

 private:
  int topn_;
  std::int64_t samples_ = 0;
  std::int64_t non_finite_scores_ = 0;
  std::int64_t samples_with_non_finite_ = 0;
  std::vector<std::int64_t> hits_at_rank_;  // hits_at_rank_[r]: label ranked exactly r
};

/// ImageNet-style label list: "<file name> <class index>" per line (val_label.txt). Keys are the
/// file names without their extension (the sample stems of `kiln prep`). Two lines for one stem
/// are a user error naming both line numbers (the same class twice is harmless and accepted).
std::unordered_map<std::string, std::int64_t> read_class_labels(const std::filesystem::path& path);

struct TopkOptions {
  int topn = 5;
  int output_index = 1;  ///< which model output holds the scores (`<stem>_<k>`)
};

struct TopkResult {
  std::int64_t images = 0;
  std::int64_t classes = 0;
  /// 1 when the model has 1001 classes (background first): labels are shifted by one, as the
  /// reference script does.
  std::int64_t label_offset = 0;
  std::vector<std::int64_t> cumulative_hits;  ///< min(topn, classes) entries
  std::vector<double> accuracy;               ///< cumulative_hits / images
  std::int64_t non_finite_scores = 0;         ///< NaN or infinite scores, all samples
  std::int64_t samples_with_non_finite = 0;
};

/// Top-N accuracy over every output file of `outputs` against `labels_path`. Every output needs
/// a label; all outputs must have the same class count.
TopkResult evaluate_topk(const OutputDirectory& outputs, const std::filesystem::path& labels_path,
                         const TopkOptions& options);

/// The guide's rows ("Number of images", "Number of classes", "Top1 accuracy": "79.43%", ...).
Report make_topk_report(const TopkResult& result);

}  // namespace kiln::eval
