// Confusion matrix of semantic segmentation, per-class IoU and mIoU (ADVENT/IntraDA's fast_hist,
// per_class_iu and np.nanmean), and the Cityscapes label-id -> train-id mapping.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kiln::eval {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int classes);

  int classes() const { return classes_; }
  /// Counts pixel pairs: rows are ground truth, columns predictions. Ground-truth values outside
  /// [0, classes) (255: ignore) are skipped; predictions must be below classes.
  void add(std::span<const std::uint8_t> ground_truth, std::span<const std::uint8_t> prediction);
  void merge(const ConfusionMatrix& other);
  std::int64_t at(int ground_truth, int prediction) const {
    return counts_[static_cast<std::size_t>(ground_truth) * classes_ + prediction];
  }
  /// diag / (row sum + column sum - diag) per class; NaN for a class neither in the ground truth
  /// nor predicted (0 / 0), as numpy gives.
  std::vector<double> class_iou() const;
  /// The mean of the non-NaN class IoUs (np.nanmean); NaN when there are none.
  double mean_iou() const;
  /// Pixels counted (not ignored).
  std::int64_t pixels() const;

 private:
  int classes_;
  std::vector<std::int64_t> counts_;
};

/// Cityscapes labelIds -> trainIds as ADVENT's cityscapes_list/info.json "label2train" (7 road
/// -> 0, ..., 33 bicycle -> 18); every other value -> 255 (ignored).
const std::array<std::uint8_t, 256>& cityscapes_train_ids();

/// The 19 Cityscapes train classes, in train-id order, named as ADVENT prints them.
const std::array<const char*, 19>& cityscapes_class_names();

}  // namespace kiln::eval
