// Dataset listing for the four seed tasks.

#include "kiln/data/dataset.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kiln/core/error.h"

namespace kiln::data {

namespace fs = std::filesystem;

bool is_image_file(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".jpg" || extension == ".jpeg" || extension == ".png";
}

namespace {

bool is_dir(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

bool is_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

void require_directory(const fs::path& path, std::string_view what) {
  if (!is_dir(path)) {
    throw_user_error("{} '{}' does not exist or is not a directory", what, path.string());
  }
}

// The image files directly inside `dir`, sorted by name.
std::vector<fs::path> image_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_image_file(it->path()) && !it->is_directory()) files.push_back(it->path());
  }
  if (ec) throw_user_error("cannot list '{}': {}", dir.string(), ec.message());
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  return files;
}

std::vector<Sample> samples_of(const std::vector<fs::path>& files) {
  std::vector<Sample> samples;
  samples.reserve(files.size());
  for (const fs::path& file : files) {
    Sample sample;
    sample.image = file;
    sample.stem = file.stem().string();
    samples.push_back(std::move(sample));
  }
  return samples;
}

// Two files with one stem ("a.jpg", "a.png") would write the same output.
void check_unique_stems(const std::vector<Sample>& samples) {
  std::map<std::string, const fs::path*> seen;
  for (const Sample& sample : samples) {
    auto [it, inserted] = seen.emplace(sample.stem, &sample.image);
    if (!inserted) {
      throw_user_error("'{}' and '{}' would both be prepared as '{}'; keep one of them",
                       it->second->string(), sample.image.string(), sample.stem);
    }
  }
}

// ImageNet's val_label.txt: "ILSVRC2012_val_00000001.JPEG 65" per line.
std::map<std::string, std::int64_t> read_label_list(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw_user_error("cannot open the label list '{}'", path.string());
  std::map<std::string, std::int64_t> labels;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    std::istringstream fields(line);
    std::string name;
    std::int64_t label = 0;
    if (!(fields >> name)) continue;  // blank line
    if (!(fields >> label) || label < 0) {
      throw_user_error("'{}' line {}: expected '<image file> <class index>', got '{}'",
                       path.string(), line_number, line);
    }
    labels[name] = label;
  }
  return labels;
}

DatasetListing list_imagenet(const fs::path& source, const ListOptions& options) {
  DatasetListing listing;
  require_directory(source, "the ImageNet folder");
  listing.image_dir = is_dir(source / "val") ? source / "val" : source;
  listing.samples = samples_of(image_files(listing.image_dir));
  if (!options.labels.empty()) {
    listing.labels = options.labels;
  } else {
    for (const fs::path& candidate :
         {listing.image_dir / "val_label.txt", listing.image_dir.parent_path() / "val_label.txt",
          source / "val_label.txt"}) {
      if (is_file(candidate)) {
        listing.labels = candidate;
        break;
      }
    }
  }
  if (listing.labels.empty()) {
    listing.notes.push_back(
        fmt::format("no val_label.txt next to '{}' (give one with --labels): no labels written",
                    listing.image_dir.string()));
    return listing;
  }
  const auto labels = read_label_list(listing.labels);
  // Labels by file name, or by stem when the extension was changed (.JPEG -> .jpeg).
  std::map<std::string, std::int64_t> by_stem;
  for (const auto& [name, label] : labels) by_stem[fs::path(name).stem().string()] = label;
  for (Sample& sample : listing.samples) {
    auto it = labels.find(sample.image.filename().string());
    if (it != labels.end()) {
      sample.class_index = it->second;
      continue;
    }
    auto by = by_stem.find(sample.stem);
    if (by == by_stem.end()) {
      throw_user_error("'{}' has no label in '{}'", sample.image.string(), listing.labels.string());
    }
    sample.class_index = by->second;
  }
  return listing;
}

DatasetListing list_sr(const fs::path& source) {
  DatasetListing listing;
  require_directory(source, "the super-resolution image folder");
  listing.image_dir = source;
  listing.samples = samples_of(image_files(source));
  return listing;
}

DatasetListing list_cityscapes(const fs::path& source, const ListOptions& options) {
  DatasetListing listing;
  require_directory(source, "the Cityscapes root");
  listing.image_dir = source / "leftImg8bit" / options.split;
  require_directory(listing.image_dir, "the Cityscapes image folder");
  const fs::path gt_dir = source / "gtFine" / options.split;
  const bool has_gt = is_dir(gt_dir);
  if (has_gt) {
    listing.labels = gt_dir;
  } else {
    listing.notes.push_back(fmt::format("no '{}': no ground truth copied", gt_dir.string()));
  }
  std::vector<fs::path> cities;
  std::error_code ec;
  for (fs::directory_iterator it(listing.image_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory()) cities.push_back(it->path());
  }
  if (ec) throw_user_error("cannot list '{}': {}", listing.image_dir.string(), ec.message());
  std::sort(cities.begin(), cities.end());
  for (const fs::path& city : cities) {
    for (const fs::path& file : image_files(city)) {
      Sample sample;
      sample.image = file;
      sample.stem = file.stem().string();
      if (has_gt) {
        std::string gt_name = file.filename().string();
        const auto at = gt_name.rfind("leftImg8bit");
        if (at != std::string::npos) gt_name.replace(at, 11, "gtFine_labelIds");
        sample.label_image = gt_dir / city.filename() / gt_name;
      }
      listing.samples.push_back(std::move(sample));
    }
  }
  return listing;
}

// The digits of a COCO file name ("000000000139" -> 139), or -1.
std::int64_t id_from_stem(const std::string& stem) {
  if (stem.empty() || stem.size() > 18) return -1;
  std::int64_t id = 0;
  for (char c : stem) {
    if (c < '0' || c > '9') return -1;
    id = id * 10 + (c - '0');
  }
  return id;
}

// Only the "images" array of an instances json: the annotations (most of the file) are
// dropped while parsing, so memory stays small.
std::map<std::string, std::int64_t> read_coco_image_ids(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_user_error("cannot open '{}'", path.string());
  using nlohmann::json;
  json document;
  try {
    document = json::parse(in, [](int depth, json::parse_event_t event, json& parsed) {
      return !(depth == 1 && event == json::parse_event_t::key && parsed != "images");
    });
  } catch (const json::exception& e) {
    throw_user_error("'{}': not valid JSON: {}", path.string(), e.what());
  }
  std::map<std::string, std::int64_t> ids;
  if (!document.is_object() || !document.contains("images") || !document["images"].is_array()) {
    throw_user_error("'{}': no \"images\" list (not a COCO instances file?)", path.string());
  }
  for (const json& image : document["images"]) {
    if (!image.is_object() || !image.contains("file_name") || !image.contains("id") ||
        !image["file_name"].is_string() || !image["id"].is_number_integer()) {
      throw_user_error("'{}': an entry of \"images\" lacks file_name or id: {}", path.string(),
                       image.dump());
    }
    ids[image["file_name"].get<std::string>()] = image["id"].get<std::int64_t>();
  }
  return ids;
}

DatasetListing list_coco(const fs::path& source, const ListOptions& options) {
  DatasetListing listing;
  require_directory(source, "the COCO root");
  listing.image_dir = is_dir(source / "val2017") ? source / "val2017" : source;
  listing.samples = samples_of(image_files(listing.image_dir));
  fs::path annotations = options.annotations;
  if (annotations.empty()) {
    for (const fs::path& candidate :
         {source / "annotations" / "instances_val2017.json",
          listing.image_dir.parent_path() / "annotations" / "instances_val2017.json"}) {
      if (is_file(candidate)) {
        annotations = candidate;
        break;
      }
    }
  }
  std::map<std::string, std::int64_t> ids;
  if (!annotations.empty()) {
    ids = read_coco_image_ids(annotations);
    listing.labels = annotations;
  } else {
    listing.notes.push_back(
        "no annotations/instances_val2017.json (give one with --annotations): image ids taken "
        "from the file names");
  }
  for (Sample& sample : listing.samples) {
    if (!annotations.empty()) {
      auto it = ids.find(sample.image.filename().string());
      if (it == ids.end()) {
        throw_user_error("'{}' is not listed in '{}'", sample.image.string(), annotations.string());
      }
      sample.image_id = it->second;
    } else {
      sample.image_id = id_from_stem(sample.stem);
      if (sample.image_id < 0) {
        throw_user_error(
            "'{}': no annotations file to take its image id from, and its name is "
            "not a number",
            sample.image.string());
      }
    }
  }
  return listing;
}

}  // namespace

DatasetListing list_dataset(Task task, const fs::path& source, const ListOptions& options) {
  DatasetListing listing;
  switch (task) {
    case Task::kImagenet:
      listing = list_imagenet(source, options);
      break;
    case Task::kSr:
      listing = list_sr(source);
      break;
    case Task::kCityscapes:
      listing = list_cityscapes(source, options);
      break;
    case Task::kCoco:
      listing = list_coco(source, options);
      break;
  }
  if (listing.samples.empty()) {
    throw_user_error("no .jpg/.jpeg/.png images in '{}'", listing.image_dir.string());
  }
  check_unique_stems(listing.samples);
  return listing;
}

}  // namespace kiln::data
