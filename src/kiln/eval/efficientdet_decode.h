// EfficientDet's detection postprocess (anchors, box decoding, top-k, per-class NMS), matching
// the model zoo's numpy reference models/efficientdet_postprocess.py.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kiln/eval/coco_dataset.h"
#include "kiln/eval/output_reader.h"

namespace kiln::eval {

/// An anchor as (ymin, xmin, ymax, xmax) in model-input pixels.
using Anchor = std::array<double, 4>;

/// Anchors of levels P3..P7 for a model input of `height` x `width` (each divisible by 128):
/// level major, then locations row-major, then 3 octave scales x 3 aspect ratios (scale major),
/// anchor scale 4. A user error names the size when it is not divisible.
std::vector<Anchor> generate_efficientdet_anchors(int height, int width);

struct EfficientDetOptions {
  int input_height = 512;
  int input_width = 512;
  int top_k = 5000;          ///< candidates kept before NMS (MAX_DETECTION_POINTS)
  int max_detections = 100;  ///< per image, after NMS
  double iou_threshold = 0.5;
};

/// One detection in original-image pixels: box (x, y, w, h), sigmoid score, class id =
/// class index + 1 (1..90, COCO's category ids).
struct Detection {
  double x = 0, y = 0, width = 0, height = 0;
  double score = 0;
  std::int64_t class_id = 0;
};

/// Decodes one image: `class_out` [A, C] logits and `box_out` [A, 4] (ty, tx, th, tw).
/// `img_scale` is original pixels per input pixel; with `original_size` (width, height) boxes
/// are clipped to the image before NMS, as the reference does. Detections come out in
/// descending score order.
std::vector<Detection> decode_efficientdet(std::span<const float> class_out,
                                           std::span<const float> box_out, std::int64_t classes,
                                           const std::vector<Anchor>& anchors, double img_scale,
                                           std::optional<std::array<double, 2>> original_size,
                                           const EfficientDetOptions& options);

/// One entry of `kiln prep coco`'s side file DIR.images.json.
struct PreparedImage {
  std::string stem;
  std::string file_name;
  std::int64_t image_id = 0;
  std::int64_t width = 0, height = 0;
  double scale = 1;
};

/// Reads DIR.images.json ({"images": [{"stem", "file_name", "image_id", "width", "height",
/// "scale"}, ...]}).
std::vector<PreparedImage> read_prepared_images(const std::filesystem::path& path);

/// Scores below this are not written as COCO results (effdet's CocoEvaluator stops there).
inline constexpr double kMinResultScore = 0.001;

/// What decoding a directory of outputs gave.
struct DecodedDetections {
  std::vector<CocoDetection> detections;
  /// Detections dropped because their score or box was NaN or infinite (NaN or inf in the
  /// model's outputs): COCO results have no such numbers, and JSON cannot hold them.
  std::int64_t non_finite_dropped = 0;
  std::int64_t images_with_non_finite = 0;
};

/// Decodes every image of `images` from `outputs` (class_out = output 1, box_out = output 2,
/// `<stem>_1` and `<stem>_2`), in parallel, into COCO results: detections with score >=
/// kMinResultScore and a finite score and box, category id = class id, in image order then
/// score order. NaN logits rank below every number (decode_efficientdet's order).
DecodedDetections decode_efficientdet_outputs(const OutputDirectory& outputs,
                                              const std::vector<PreparedImage>& images,
                                              const EfficientDetOptions& options);

}  // namespace kiln::eval
