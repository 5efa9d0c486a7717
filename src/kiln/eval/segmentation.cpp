// Segmentation evaluation over a directory: images are processed in parallel, each thread with
// its own confusion matrix; the upsampled logits never exist in memory (upsample_argmax).

#include "kiln/eval/segmentation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "kiln/core/error.h"
#include "kiln/data/image.h"
#include "kiln/eval/first_failure.h"
#include "kiln/eval/upsample_argmax.h"

namespace kiln::eval {

namespace {

// file name -> path of every .png under `dir`, for label lookup by name.
std::unordered_map<std::string, std::filesystem::path> index_pngs(
    const std::filesystem::path& dir) {
  std::unordered_map<std::string, std::filesystem::path> index;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".png") {
      index.emplace(entry.path().filename().string(), entry.path());
    }
  }
  return index;
}

// [C, h, w], accepting leading batch dimensions of 1.
Shape logits_shape(const Tensor& t, const OutputFile& file) {
  std::vector<std::int64_t> dims = t.shape().dims();
  while (dims.size() > 3 && dims.front() == 1) dims.erase(dims.begin());
  if (dims.size() != 3) {
    throw_user_error(
        "'{}' holds {} values of shape {}; segmentation logits are [classes, height, width]: "
        "pass --output-shape C,H,W (e.g. 19,65,129) or keep kiln run's outputs.json",
        file.path.string(), t.numel(), t.shape().to_string());
  }
  return Shape(std::move(dims));
}

}  // namespace

SegmentationResult evaluate_segmentation(const OutputDirectory& outputs,
                                         const std::filesystem::path& label_dir,
                                         const SegmentationOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(label_dir, ec)) {
    throw_user_error(
        "label directory '{}' does not exist (expected the DIR.gt of kiln prep "
        "cityscapes, or gtFine/val)",
        label_dir.string());
  }
  const std::vector<OutputFile> files = outputs.files(options.output_index);
  if (files.empty()) {
    throw_user_error("'{}' has no output files '<stem>_{}.{{bin,npy,txt}}'",
                     outputs.path().string(), options.output_index);
  }
  const auto labels_by_name = index_pngs(label_dir);
  std::vector<std::filesystem::path> label_paths(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string& stem = files[i].stem;
    auto it = labels_by_name.find(stem + ".png");
    if (it == labels_by_name.end()) {
      std::string cityscapes = stem;
      if (auto at = cityscapes.rfind("leftImg8bit"); at != std::string::npos) {
        cityscapes.replace(at, 11, "gtFine_labelIds");
        it = labels_by_name.find(cityscapes + ".png");
      }
    }
    if (it == labels_by_name.end()) {
      throw_user_error("'{}' has no label image in '{}' (looked for '{}.png')",
                       files[i].path.string(), label_dir.string(), stem);
    }
    label_paths[i] = it->second;
  }

  // The class count comes from the first output; every output must agree.
  const Tensor first = outputs.read(files[0], options.output_shape);
  const Shape first_shape = logits_shape(first, files[0]);
  const int classes = static_cast<int>(first_shape[0]);
  if (options.label_format == LabelFormat::kCityscapesLabelIds && classes != 19) {
    throw_user_error(
        "'{}' has {} classes; Cityscapes label ids map to 19 train classes (use "
        "--labels train-ids for label images that hold class indices)",
        files[0].path.string(), classes);
  }
  if (classes > 255) {
    throw_user_error("'{}' has {} classes; at most 255 fit 8-bit label images",
                     files[0].path.string(), classes);
  }

  SegmentationResult result;
  result.matrix = ConfusionMatrix(classes);
  result.images = static_cast<std::int64_t>(files.size());
  if (options.label_format == LabelFormat::kCityscapesLabelIds) {
    for (const char* name : cityscapes_class_names()) result.class_names.emplace_back(name);
  } else {
    for (int c = 0; c < classes; ++c) result.class_names.push_back(fmt::format("class {}", c));
  }
  const std::array<std::uint8_t, 256>& train_ids = cityscapes_train_ids();

  FirstFailure failure;
#pragma omp parallel
  {
    ConfusionMatrix local(classes);
    std::vector<std::uint8_t> prediction;
#pragma omp for schedule(dynamic, 1) nowait
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (failure.skip(i)) continue;
      try {
        const Tensor logits = outputs.read(files[i], options.output_shape);
        const Shape shape = logits_shape(logits, files[i]);
        if (shape[0] != classes) {
          throw_user_error("'{}' has {} classes, '{}' has {}: class counts disagree",
                           files[i].path.string(), shape[0], files[0].path.string(), classes);
        }
        // The reference's argmax (torch/numpy) takes NaN as the largest value and bilinear
        // weights turn inf into NaN, so such logits give the score of an arbitrary class (all
        // NaN: class 0 everywhere). Refused, counted, rather than scored.
        const auto values = logits.span<float>();
        const auto non_finite =
            std::count_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); });
        if (non_finite > 0) {
          throw_user_error(
              "'{}' holds {} NaN or infinite logits of {}; mIoU of such outputs is meaningless",
              files[i].path.string(), non_finite, values.size());
        }
        data::Image label = data::decode_image(label_paths[i], data::ColorMode::kUnchanged);
        if (label.channels != 1) {
          throw_user_error("'{}' has {} channels; label images are 1-channel (gray or palette)",
                           label_paths[i].string(), label.channels);
        }
        if (options.label_format == LabelFormat::kCityscapesLabelIds) {
          for (std::uint8_t& v : label.pixels) v = train_ids[v];
        }
        prediction.resize(label.pixels.size());
        upsample_argmax_align_corners(logits.data<float>(), classes, static_cast<int>(shape[1]),
                                      static_cast<int>(shape[2]), label.height, label.width,
                                      prediction.data());
        local.add(label.pixels, prediction);
      } catch (...) {
        failure.record(i);
      }
    }
#pragma omp critical(kiln_segmentation_merge)
    result.matrix.merge(local);
  }
  failure.rethrow_if_failed();
  return result;
}

Report make_segmentation_report(const SegmentationResult& result) {
  Report report;
  const std::vector<double> iou = result.matrix.class_iou();
  const double miou = result.matrix.mean_iou();
  // ADVENT: str(round(iou * 100, 2)); nan stays nan.
  auto percent = [](double v) { return python_float_str(python_round(v * 100, 2)); };
  report.rows.push_back({"Number of images", std::to_string(result.images)});
  report.table = fmt::format("{:<12} {:>7}\n", "class", "IoU (%)");
  nlohmann::ordered_json metrics;
  metrics["task"] = "miou";
  metrics["images"] = result.images;
  metrics["pixels"] = result.matrix.pixels();
  metrics["miou"] =
      std::isnan(miou) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(miou);
  nlohmann::ordered_json per_class = nlohmann::ordered_json::array();
  for (std::size_t c = 0; c < iou.size(); ++c) {
    report.rows.push_back({result.class_names[c] + " IoU", percent(iou[c])});
    report.table += fmt::format("{:<12} {:>7}\n", result.class_names[c], percent(iou[c]));
    per_class.push_back({{"class", result.class_names[c]},
                         {"iou", std::isnan(iou[c]) ? nlohmann::ordered_json(nullptr)
                                                    : nlohmann::ordered_json(iou[c])}});
  }
  report.rows.push_back({"mIoU", percent(miou)});
  const auto absent = std::count_if(iou.begin(), iou.end(), [](double v) { return std::isnan(v); });
  report.table += fmt::format("mIoU = {} over {} images", percent(miou), result.images);
  if (absent > 0) {
    report.table += fmt::format(
        " ({} of {} classes are in neither the labels nor the predictions: left out of the "
        "mean)",
        absent, iou.size());
  }
  report.table += "\n";
  metrics["per_class"] = per_class;
  nlohmann::ordered_json matrix = nlohmann::ordered_json::array();
  for (int g = 0; g < result.matrix.classes(); ++g) {
    std::vector<std::int64_t> row;
    for (int p = 0; p < result.matrix.classes(); ++p) row.push_back(result.matrix.at(g, p));
    matrix.push_back(row);
  }
  metrics["confusion_matrix"] = matrix;
  report.metrics_json = metrics.dump();
  return report;
}

}  // namespace kiln::eval
