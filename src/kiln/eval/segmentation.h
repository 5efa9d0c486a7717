// `kiln eval miou`: mIoU of segmentation logits against label images, as IntraDA/ADVENT's
// evaluation computes it (bilinear upsampling with align_corners=True, argmax, Cityscapes
// label-id -> train-id mapping, ignore 255, one confusion matrix over the set).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/shape.h"
#include "kiln/eval/confusion_matrix.h"
#include "kiln/eval/output_reader.h"
#include "kiln/eval/result_json.h"

namespace kiln::eval {

enum class LabelFormat {
  kCityscapesLabelIds,  ///< *_gtFine_labelIds.png: mapped to the 19 train ids
  kTrainIds,            ///< values are already class indices; >= classes is ignored
};

struct SegmentationOptions {
  int output_index = 1;
  std::optional<Shape> output_shape;  ///< [C, H, W] when outputs.json / .npy cannot say
  LabelFormat label_format = LabelFormat::kCityscapesLabelIds;
};

struct SegmentationResult {
  ConfusionMatrix matrix{1};
  std::int64_t images = 0;
  std::vector<std::string> class_names;
};

/// Every output `<stem>_<k>` ([C, h, w] logits) against its label image in `label_dir`:
/// `<stem>.png` (kiln prep's DIR.gt), or the Cityscapes name with leftImg8bit replaced by
/// gtFine_labelIds, searched recursively (a gtFine/val tree).
SegmentationResult evaluate_segmentation(const OutputDirectory& outputs,
                                         const std::filesystem::path& label_dir,
                                         const SegmentationOptions& options);

/// Rows "Number of images", one "<class> IoU" per class and "mIoU" (percent, as ADVENT prints:
/// round(x * 100, 2)); the confusion matrix and IoUs as numbers in the metrics section.
Report make_segmentation_report(const SegmentationResult& result);

}  // namespace kiln::eval
