// COCO JSON in and out. Results files hold hundreds of thousands of detections, so they are read
// with a SAX handler (no DOM) and written with fmt.

#include "kiln/eval/coco_dataset.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "kiln/core/error.h"
#include "kiln/core/file_io.h"

namespace kiln::eval {

namespace {

using Json = nlohmann::json;

const Json& member(const Json& object, const char* key, const char* what, std::size_t index) {
  auto it = object.find(key);
  if (it == object.end()) throw_user_error("{} {} has no \"{}\"", what, index, key);
  return *it;
}

std::int64_t integer_member(const Json& object, const char* key, const char* what,
                            std::size_t index) {
  const Json& value = member(object, key, what, index);
  if (value.is_number_integer()) return value.get<std::int64_t>();
  // COCO writers sometimes store ids as floats (1.0); accept integral ones.
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (d == static_cast<double>(static_cast<std::int64_t>(d))) return static_cast<std::int64_t>(d);
  }
  throw_user_error("{} {}: \"{}\" is not an integer", what, index, key);
}

double number_member(const Json& object, const char* key, const char* what, std::size_t index) {
  const Json& value = member(object, key, what, index);
  if (!value.is_number()) throw_user_error("{} {}: \"{}\" is not a number", what, index, key);
  return value.get<double>();
}

CocoBox box_member(const Json& object, const char* what, std::size_t index) {
  const Json& value = member(object, "bbox", what, index);
  if (!value.is_array() || value.size() != 4 ||
      !std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_number(); })) {
    throw_user_error("{} {}: \"bbox\" is not [x, y, width, height]", what, index);
  }
  return {value[0].get<double>(), value[1].get<double>(), value[2].get<double>(),
          value[3].get<double>()};
}

Json parse_json(const std::string& text, const std::string& name) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw_user_error("'{}' is not valid JSON: {}", name, e.what());
  }
}

// SAX reader of a results list: [{"image_id": 1, "category_id": 2, "bbox": [..], "score": s,
// anything else}, ...]. Builds CocoDetections directly.
class DetectionsReader : public nlohmann::json_sax<Json> {
 public:
  explicit DetectionsReader(std::vector<CocoDetection>& out) : out_(out) {}

  bool null() override { return value(0, false); }
  bool boolean(bool) override { return value(0, false); }
  bool number_integer(number_integer_t v) override { return value(static_cast<double>(v), true); }
  bool number_unsigned(number_unsigned_t v) override { return value(static_cast<double>(v), true); }
  bool number_float(number_float_t v, const string_t&) override { return value(v, true); }
  bool string(string_t&) override { return value(0, false); }
  bool binary(binary_t&) override { return value(0, false); }

  bool start_object(std::size_t) override {
    ++depth_;
    if (depth_ == 2) {
      current_ = {};
      seen_ = 0;
    }
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ == 2) {
      key_ = k == "image_id"      ? kImage
             : k == "category_id" ? kCategory
             : k == "bbox"        ? kBox
             : k == "score"       ? kScore
                                  : kOther;
    }
    return true;
  }
  bool end_object() override {
    if (depth_ == 2) {
      static constexpr const char* kNames[] = {"image_id", "category_id", "bbox", "score"};
      for (int f = 0; f < 4; ++f) {
        if (!(seen_ & (1 << f))) {
          error_ = fmt::format("detection {} has no \"{}\"", out_.size(), kNames[f]);
          return false;
        }
      }
      out_.push_back(current_);
    }
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (depth_ == 1) top_is_array_ = true;
    if (depth_ == 2) {
      error_ = fmt::format("detection {} is not an object", out_.size());
      return false;
    }
    if (depth_ == 3 && key_ == kBox) box_values_ = 0;
    return true;
  }
  bool end_array() override {
    if (depth_ == 3 && key_ == kBox) {
      if (box_values_ != 4) {
        error_ = fmt::format("detection {}: \"bbox\" is not [x, y, width, height]", out_.size());
        return false;
      }
      seen_ |= 1 << kBox;
    }
    --depth_;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    error_ = fmt::format("not valid JSON at byte {}: {}", position, e.what());
    return false;
  }

  const std::string& error() const { return error_; }
  bool top_is_array() const { return top_is_array_; }

 private:
  enum Field { kImage, kCategory, kBox, kScore, kOther };

  bool value(double v, bool is_number) {
    if (depth_ == 0) return true;  // a top-level scalar: reported as "not a list" below
    if (depth_ == 1) {
      error_ = fmt::format("detection {} is not an object", out_.size());
      return false;
    }
    if (depth_ == 3 && key_ == kBox) {
      if (!is_number || box_values_ >= 4) {
        error_ = fmt::format("detection {}: \"bbox\" is not [x, y, width, height]", out_.size());
        return false;
      }
      double* fields[] = {&current_.bbox.x, &current_.bbox.y, &current_.bbox.width,
                          &current_.bbox.height};
      *fields[box_values_++] = v;
      return true;
    }
    if (depth_ != 2 || key_ == kOther) return true;
    if (key_ == kBox) {
      error_ = fmt::format("detection {}: \"bbox\" is not [x, y, width, height]", out_.size());
      return false;
    }
    if (!is_number) {
      static constexpr const char* kNames[] = {"image_id", "category_id", "bbox", "score"};
      error_ = fmt::format("detection {}: \"{}\" is not a number", out_.size(), kNames[key_]);
      return false;
    }
    switch (key_) {
      case kImage:
        current_.image_id = static_cast<std::int64_t>(v);
        break;
      case kCategory:
        current_.category_id = static_cast<std::int64_t>(v);
        break;
      case kScore:
        current_.score = v;
        break;
      default:
        break;
    }
    seen_ |= 1 << key_;
    return true;
  }

  std::vector<CocoDetection>& out_;
  CocoDetection current_;
  int depth_ = 0;
  int seen_ = 0;
  int box_values_ = 0;
  Field key_ = kOther;
  bool top_is_array_ = false;
  std::string error_;
};

}  // namespace

CocoGroundTruth parse_coco_ground_truth(const std::string& text, const std::string& name) {
  return with_context(
      [&] { return fmt::format("in '{}'", name); },
      [&] {
        const Json json = parse_json(text, name);
        if (!json.is_object()) throw_user_error("not a COCO annotation file (not a JSON object)");
        for (const char* key : {"images", "annotations", "categories"}) {
          if (!json.contains(key) || !json[key].is_array()) {
            throw_user_error("not a COCO annotation file: no \"{}\" list", key);
          }
        }
        CocoGroundTruth gt;
        std::size_t i = 0;
        for (const Json& image : json["images"]) {
          if (!image.is_object()) throw_user_error("image {} is not an object", i);
          CocoImage out;
          out.id = integer_member(image, "id", "image", i);
          out.file_name = image.value("file_name", "");
          out.width = image.contains("width") ? integer_member(image, "width", "image", i) : 0;
          out.height = image.contains("height") ? integer_member(image, "height", "image", i) : 0;
          gt.images.push_back(std::move(out));
          ++i;
        }
        i = 0;
        for (const Json& category : json["categories"]) {
          if (!category.is_object()) throw_user_error("category {} is not an object", i);
          gt.categories.push_back(
              {integer_member(category, "id", "category", i), category.value("name", "")});
          ++i;
        }
        i = 0;
        gt.annotations.reserve(json["annotations"].size());
        for (const Json& annotation : json["annotations"]) {
          if (!annotation.is_object()) throw_user_error("annotation {} is not an object", i);
          CocoAnnotation out;
          out.id = integer_member(annotation, "id", "annotation", i);
          out.image_id = integer_member(annotation, "image_id", "annotation", i);
          out.category_id = integer_member(annotation, "category_id", "annotation", i);
          out.bbox = box_member(annotation, "annotation", i);
          out.area = number_member(annotation, "area", "annotation", i);
          if (annotation.contains("iscrowd")) {
            const Json& crowd = annotation["iscrowd"];
            out.iscrowd = crowd.is_boolean()
                              ? crowd.get<bool>()
                              : integer_member(annotation, "iscrowd", "annotation", i);
          }
          gt.annotations.push_back(out);
          ++i;
        }
        return gt;
      });
}

CocoGroundTruth read_coco_ground_truth(const std::filesystem::path& path) {
  return parse_coco_ground_truth(read_file(path), path.string());
}

std::vector<CocoDetection> parse_coco_detections(const std::string& text, const std::string& name) {
  std::vector<CocoDetection> detections;
  DetectionsReader reader(detections);
  const bool ok = Json::sax_parse(text, &reader, nlohmann::json::input_format_t::json, false);
  if (!ok) throw_user_error("'{}': {}", name, reader.error());
  if (!reader.top_is_array()) {
    throw_user_error("'{}' is not a COCO results file (expected a JSON list of detections)", name);
  }
  return detections;
}

std::vector<CocoDetection> read_coco_detections(const std::filesystem::path& path) {
  return parse_coco_detections(read_file(path), path.string());
}

std::string format_coco_detections(const std::vector<CocoDetection>& detections) {
  fmt::memory_buffer out;
  out.push_back('[');
  for (std::size_t i = 0; i < detections.size(); ++i) {
    const CocoDetection& d = detections[i];
    fmt::format_to(std::back_inserter(out),
                   "{}\n{{\"image_id\": {}, \"category_id\": {}, \"bbox\": [{}, {}, {}, {}], "
                   "\"score\": {}}}",
                   i == 0 ? "" : ",", d.image_id, d.category_id, d.bbox.x, d.bbox.y, d.bbox.width,
                   d.bbox.height, d.score);
  }
  out.append(std::string_view("\n]\n"));
  return fmt::to_string(out);
}

void write_coco_detections(const std::filesystem::path& path,
                           const std::vector<CocoDetection>& detections) {
  write_file_atomically(path, format_coco_detections(detections));
}

}  // namespace kiln::eval
