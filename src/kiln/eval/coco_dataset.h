// COCO ground truth (instances_*.json) and detection results (the standard results JSON list).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kiln::eval {

/// [x, y, width, height] in image pixels, as COCO stores boxes.
struct CocoBox {
  double x = 0, y = 0, width = 0, height = 0;
};

struct CocoImage {
  std::int64_t id = 0;
  std::string file_name;
  std::int64_t width = 0, height = 0;
};

struct CocoCategory {
  std::int64_t id = 0;
  std::string name;
};

struct CocoAnnotation {
  std::int64_t id = 0;
  std::int64_t image_id = 0;
  std::int64_t category_id = 0;
  CocoBox bbox;
  double area = 0;  ///< the annotation's "area" (the segment's area in COCO), used for area ranges
  bool iscrowd = false;
};

struct CocoGroundTruth {
  std::vector<CocoImage> images;
  std::vector<CocoAnnotation> annotations;
  std::vector<CocoCategory> categories;
};

/// One entry of a results file: {"image_id", "category_id", "bbox": [x, y, w, h], "score"}.
struct CocoDetection {
  std::int64_t image_id = 0;
  std::int64_t category_id = 0;
  CocoBox bbox;
  double score = 0;
};

/// Reads an instances_*.json; a user error names the file and the first bad entry.
CocoGroundTruth read_coco_ground_truth(const std::filesystem::path& path);
CocoGroundTruth parse_coco_ground_truth(const std::string& text, const std::string& name);

/// Reads a results file (a JSON list of detections).
std::vector<CocoDetection> read_coco_detections(const std::filesystem::path& path);
std::vector<CocoDetection> parse_coco_detections(const std::string& text, const std::string& name);

/// The standard results JSON, numbers in shortest round-trip form.
std::string format_coco_detections(const std::vector<CocoDetection>& detections);
/// Writes format_coco_detections() atomically.
void write_coco_detections(const std::filesystem::path& path,
                           const std::vector<CocoDetection>& detections);

}  // namespace kiln::eval
