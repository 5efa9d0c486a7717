// EfficientDet postprocess in float64, operation for operation as the numpy reference, so that
// kiln's detections equal the reference's: anchors from (y, x) centres and octave scales, decode
// from the anchor corners, top-k by (logit descending, flat index ascending), sigmoid, greedy
// per-class NMS with a strict IoU > 0.5, 100 detections, then (x, y, w, h) * img_scale.

#include "kiln/eval/efficientdet_decode.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "kiln/core/error.h"
#include "kiln/core/file_io.h"
#include "kiln/eval/first_failure.h"

namespace kiln::eval {

namespace {

constexpr int kMinLevel = 3;
constexpr int kMaxLevel = 7;
constexpr int kNumScales = 3;
constexpr double kAnchorScale = 4.0;
constexpr double kAspectRatios[3][2] = {{1.0, 1.0}, {1.4, 0.7}, {0.7, 1.4}};

struct Candidate {
  float logit;
  std::int64_t flat;  // anchor * classes + class
};

// The reference's order: descending logit, ties by the smaller flat index (a stable sort of
// -logit). NaN logits are treated as the smallest values.
bool before(const Candidate& a, const Candidate& b) {
  const bool a_nan = std::isnan(a.logit), b_nan = std::isnan(b.logit);
  if (a_nan != b_nan) return b_nan;
  if (!a_nan && a.logit != b.logit) return a.logit > b.logit;
  return a.flat < b.flat;
}

// The k best candidates in `before` order: a bounded heap whose top is the worst kept.
std::vector<Candidate> top_candidates(std::span<const float> logits, std::size_t k) {
  std::vector<Candidate> heap;
  heap.reserve(k + 1);
  auto worse_on_top = [](const Candidate& a, const Candidate& b) { return before(a, b); };
  const std::size_t n = logits.size();
  std::size_t i = 0;
  for (; i < n && heap.size() < k; ++i) {
    heap.push_back({logits[i], static_cast<std::int64_t>(i)});
    std::push_heap(heap.begin(), heap.end(), worse_on_top);
  }
  for (; i < n; ++i) {
    // Later indices lose ties, so only a strictly greater logit (or a number over a NaN) gets in.
    const float v = logits[i];
    const float worst = heap.front().logit;
    if (v > worst || (std::isnan(worst) && !std::isnan(v))) {
      std::pop_heap(heap.begin(), heap.end(), worse_on_top);
      heap.back() = {v, static_cast<std::int64_t>(i)};
      std::push_heap(heap.begin(), heap.end(), worse_on_top);
    }
  }
  std::sort(heap.begin(), heap.end(), before);
  return heap;
}

double box_iou(const std::array<double, 4>& a, const std::array<double, 4>& b) {
  const double ix1 = std::max(a[0], b[0]);
  const double iy1 = std::max(a[1], b[1]);
  const double ix2 = std::min(a[2], b[2]);
  const double iy2 = std::min(a[3], b[3]);
  const double inter = std::max(ix2 - ix1, 0.0) * std::max(iy2 - iy1, 0.0);
  const double area_a = (a[2] - a[0]) * (a[3] - a[1]);
  const double area_b = (b[2] - b[0]) * (b[3] - b[1]);
  const double union_area = area_a + area_b - inter;
  return union_area > 0 ? inter / union_area : 0.0;
}

}  // namespace

std::vector<Anchor> generate_efficientdet_anchors(int height, int width) {
  std::vector<Anchor> anchors;
  for (int level = kMinLevel; level <= kMaxLevel; ++level) {
    const int stride = 1 << level;
    if (height <= 0 || width <= 0 || height % stride != 0 || width % stride != 0) {
      throw_user_error("EfficientDet input size {}x{} is not divisible by the stride {} of P{}",
                       height, width, stride, level);
    }
    for (int j = 0; j < height / stride; ++j) {
      const double cy = stride / 2.0 + static_cast<double>(stride) * j;
      for (int i = 0; i < width / stride; ++i) {
        const double cx = stride / 2.0 + static_cast<double>(stride) * i;
        for (int octave = 0; octave < kNumScales; ++octave) {
          for (const auto& aspect : kAspectRatios) {
            const double base = kAnchorScale * stride * std::pow(2.0, octave / double(kNumScales));
            const double hx = base * aspect[0] / 2.0;
            const double hy = base * aspect[1] / 2.0;
            anchors.push_back({cy - hy, cx - hx, cy + hy, cx + hx});
          }
        }
      }
    }
  }
  return anchors;
}

std::vector<Detection> decode_efficientdet(std::span<const float> class_out,
                                           std::span<const float> box_out, std::int64_t classes,
                                           const std::vector<Anchor>& anchors, double img_scale,
                                           std::optional<std::array<double, 2>> original_size,
                                           const EfficientDetOptions& options) {
  const std::size_t A = anchors.size();
  KILN_CHECK(classes > 0 && class_out.size() == A * static_cast<std::size_t>(classes) &&
                 box_out.size() == A * 4,
             "class_out {} / box_out {} values for {} anchors and {} classes", class_out.size(),
             box_out.size(), A, classes);
  const std::size_t k =
      std::min<std::size_t>(static_cast<std::size_t>(options.top_k), class_out.size());
  const std::vector<Candidate> top = top_candidates(class_out, k);

  std::vector<std::array<double, 4>> boxes(top.size());  // x1 y1 x2 y2
  std::vector<double> scores(top.size());
  std::vector<std::int64_t> class_index(top.size());
  for (std::size_t c = 0; c < top.size(); ++c) {
    const std::size_t a = static_cast<std::size_t>(top[c].flat / classes);
    class_index[c] = top[c].flat % classes;
    const Anchor& anchor = anchors[a];
    const double yc_a = (anchor[0] + anchor[2]) / 2;
    const double xc_a = (anchor[1] + anchor[3]) / 2;
    const double ha = anchor[2] - anchor[0];
    const double wa = anchor[3] - anchor[1];
    const double ty = box_out[a * 4 + 0], tx = box_out[a * 4 + 1];
    const double th = box_out[a * 4 + 2], tw = box_out[a * 4 + 3];
    const double w = std::exp(tw) * wa;
    const double h = std::exp(th) * ha;
    const double yc = ty * ha + yc_a;
    const double xc = tx * wa + xc_a;
    std::array<double, 4> box = {xc - w / 2.0, yc - h / 2.0, xc + w / 2.0, yc + h / 2.0};
    if (original_size) {
      const double w_max = (*original_size)[0] / img_scale;
      const double h_max = (*original_size)[1] / img_scale;
      // np.clip(boxes, 0, [w_max, h_max, w_max, h_max]): max with 0 first, then min.
      const double limits[4] = {w_max, h_max, w_max, h_max};
      for (int j = 0; j < 4; ++j) box[j] = std::min(std::max(box[j], 0.0), limits[j]);
    }
    boxes[c] = box;
    scores[c] = 1.0 / (1.0 + std::exp(-static_cast<double>(top[c].logit)));
  }

  // Candidates are in descending logit order, hence descending score order with the reference's
  // tie order; NMS keeps that order.
  std::vector<std::size_t> order(top.size());
  for (std::size_t c = 0; c < order.size(); ++c) order[c] = c;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  std::unordered_map<std::int64_t, std::vector<std::size_t>> kept_by_class;
  std::vector<Detection> detections;
  for (std::size_t c : order) {
    if (detections.size() >= static_cast<std::size_t>(options.max_detections)) break;
    std::vector<std::size_t>& kept = kept_by_class[class_index[c]];
    bool suppressed = false;
    for (std::size_t other : kept) {
      if (box_iou(boxes[c], boxes[other]) > options.iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    kept.push_back(c);
    const auto& b = boxes[c];
    detections.push_back({b[0] * img_scale, b[1] * img_scale, (b[2] - b[0]) * img_scale,
                          (b[3] - b[1]) * img_scale, scores[c], class_index[c] + 1});
  }
  return detections;
}

std::vector<PreparedImage> read_prepared_images(const std::filesystem::path& path) {
  return with_context(
      [&] { return fmt::format("while reading '{}'", path.string()); },
      [&] {
        nlohmann::json json;
        try {
          json = nlohmann::json::parse(read_file(path));
        } catch (const nlohmann::json::parse_error& e) {
          throw_user_error("not valid JSON: {}", e.what());
        }
        if (!json.is_object() || !json.contains("images") || !json["images"].is_array()) {
          throw_user_error("expected {{\"images\": [...]}} as `kiln prep coco` writes it");
        }
        std::vector<PreparedImage> images;
        std::size_t i = 0;
        for (const nlohmann::json& entry : json["images"]) {
          for (const char* key : {"stem", "image_id", "width", "height", "scale"}) {
            if (!entry.is_object() || !entry.contains(key)) {
              throw_user_error("image {} has no \"{}\"", i, key);
            }
          }
          PreparedImage image;
          try {
            image.stem = entry["stem"].get<std::string>();
            image.file_name = entry.value("file_name", "");
            image.image_id = entry["image_id"].get<std::int64_t>();
            image.width = entry["width"].get<std::int64_t>();
            image.height = entry["height"].get<std::int64_t>();
            image.scale = entry["scale"].get<double>();
          } catch (const nlohmann::json::exception& e) {
            throw_user_error("image {}: {}", i, e.what());
          }
          if (!(image.scale > 0) || image.width <= 0 || image.height <= 0) {
            throw_user_error("image {} ('{}'): width, height and scale must be positive", i,
                             image.stem);
          }
          images.push_back(std::move(image));
          ++i;
        }
        return images;
      });
}

DecodedDetections decode_efficientdet_outputs(const OutputDirectory& outputs,
                                              const std::vector<PreparedImage>& images,
                                              const EfficientDetOptions& options) {
  const std::vector<Anchor> anchors =
      generate_efficientdet_anchors(options.input_height, options.input_width);
  const auto A = static_cast<std::int64_t>(anchors.size());
  std::unordered_map<std::string, OutputFile> class_files, box_files;
  for (OutputFile& f : outputs.files(1)) class_files.emplace(f.stem, std::move(f));
  for (OutputFile& f : outputs.files(2)) box_files.emplace(f.stem, std::move(f));
  std::unordered_set<std::string> listed;
  for (const PreparedImage& image : images) listed.insert(image.stem);
  for (const auto& [stem, file] : class_files) {
    if (!listed.count(stem)) {
      throw_user_error(
          "'{}' has no entry in the images file (is it the side file of the same "
          "`kiln prep coco`?)",
          file.path.string());
    }
  }
  std::vector<std::vector<CocoDetection>> per_image(images.size());
  std::vector<std::int64_t> non_finite_dropped(images.size());
  FirstFailure failure;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (failure.skip(i)) continue;
    try {
      const PreparedImage& image = images[i];
      auto class_it = class_files.find(image.stem);
      auto box_it = box_files.find(image.stem);
      if (class_it == class_files.end() || box_it == box_files.end()) {
        throw_user_error("'{}' has no output {} for image '{}' ('{}_{}.bin', .npy or .txt)",
                         outputs.path().string(), class_it == class_files.end() ? 1 : 2, image.stem,
                         image.stem, class_it == class_files.end() ? 1 : 2);
      }
      const Tensor class_out = outputs.read(class_it->second);
      const Tensor box_out = outputs.read(box_it->second);
      if (box_out.numel() != A * 4) {
        throw_user_error("'{}' holds {} values; box_out of a {}x{} EfficientDet is [{}, 4]",
                         box_it->second.path.string(), box_out.numel(), options.input_height,
                         options.input_width, A);
      }
      if (class_out.numel() % A != 0 || class_out.numel() == 0) {
        throw_user_error(
            "'{}' holds {} values, not [{}, classes] for the {} anchors of a {}x{} input (see "
            "--input-size)",
            class_it->second.path.string(), class_out.numel(), A, A, options.input_height,
            options.input_width);
      }
      const std::int64_t classes = class_out.numel() / A;
      const std::vector<Detection> detections = decode_efficientdet(
          class_out.span<float>(), box_out.span<float>(), classes, anchors, image.scale,
          std::array<double, 2>{static_cast<double>(image.width),
                                static_cast<double>(image.height)},
          options);
      for (const Detection& d : detections) {
        if (d.score < kMinResultScore) break;  // descending scores (a NaN score goes on)
        if (!std::isfinite(d.score) || !std::isfinite(d.x) || !std::isfinite(d.y) ||
            !std::isfinite(d.width) || !std::isfinite(d.height)) {
          ++non_finite_dropped[i];
          continue;
        }
        per_image[i].push_back(
            {image.image_id, d.class_id, {d.x, d.y, d.width, d.height}, d.score});
      }
    } catch (...) {
      failure.record(i);
    }
  }
  failure.rethrow_if_failed();
  DecodedDetections decoded;
  for (std::size_t i = 0; i < per_image.size(); ++i) {
    decoded.detections.insert(decoded.detections.end(), per_image[i].begin(), per_image[i].end());
    decoded.non_finite_dropped += non_finite_dropped[i];
    if (non_finite_dropped[i] > 0) ++decoded.images_with_non_finite;
  }
  return decoded;
}

}  // namespace kiln::eval
