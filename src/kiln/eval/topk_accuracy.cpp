// Top-N accuracy: a label's rank is counted directly (no sort), so a sample costs one pass over
// its scores; files are read in parallel.

#include "kiln/eval/topk_accuracy.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>

#include "kiln/core/error.h"
#include "kiln/core/file_io.h"
#include "kiln/eval/first_failure.h"

namespace kiln::eval {

std::int64_t label_rank(std::span<const float> scores, std::int64_t label) {
  KILN_CHECK(label >= 0 && label < static_cast<std::int64_t>(scores.size()),
             "label {} outside {} scores", label, scores.size());
  const float target = scores[static_cast<std::size_t>(label)];
  std::int64_t rank = 0;
  if (std::isnan(target)) {
    // NaNs sort last, among themselves by index.
    for (std::size_t c = 0; c < scores.size(); ++c) {
      if (!std::isnan(scores[c]) || static_cast<std::int64_t>(c) < label) ++rank;
    }
    return rank;
  }
  for (std::size_t c = 0; c < scores.size(); ++c) {
    const float s = scores[c];
    if (s > target || (s == target && static_cast<std::int64_t>(c) < label)) ++rank;
  }
  return rank;
}

TopkCounter::TopkCounter(int topn) : topn_(topn), hits_at_rank_(static_cast<std::size_t>(topn)) {
  KILN_CHECK(topn >= 1, "topn must be positive, got {}", topn);
}

void TopkCounter::add(std::span<const float> scores, std::int64_t label) {
  ++samples_;
  const auto non_finite =
      std::count_if(scores.begin(), scores.end(), [](float s) { return !std::isfinite(s); });
  non_finite_scores_ += non_finite;
  if (non_finite > 0) ++samples_with_non_finite_;
  const std::int64_t rank = label_rank(scores, label);
  if (rank < topn_) ++hits_at_rank_[static_cast<std::size_t>(rank)];
}

void TopkCounter::merge(const TopkCounter& other) {
  KILN_CHECK(other.topn_ == topn_, "merging counters of top {} and top {}", other.topn_, topn_);
  samples_ += other.samples_;
  non_finite_scores_ += other.non_finite_scores_;
  samples_with_non_finite_ += other.samples_with_non_finite_;
  for (std::size_t r = 0; r < hits_at_rank_.size(); ++r) hits_at_rank_[r] += other.hits_at_rank_[r];
}

std::vector<std::int64_t> TopkCounter::cumulative_hits() const {
  std::vector<std::int64_t> cumulative(hits_at_rank_.size());
  std::int64_t sum = 0;
  for (std::size_t r = 0; r < hits_at_rank_.size(); ++r) cumulative[r] = sum += hits_at_rank_[r];
  return cumulative;
}

std::unordered_map<std::string, std::int64_t> read_class_labels(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  std::unordered_map<std::string, std::int64_t> labels;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) continue;
    const std::size_t space = line.find_last_of(" \t");
    std::int64_t label = -1;
    if (space != std::string_view::npos) {
      const char* first = line.data() + space + 1;
      const char* last = line.data() + line.size();
      auto [ptr, ec] = std::from_chars(first, last, label);
      if (ec != std::errc() || ptr != last) label = -1;
    }
    if (label < 0) {
      throw_user_error("'{}' line {}: expected '<file name> <class index>', got '{}'",
                       path.string(), line_number, line);
    }
    std::string_view name = line.substr(0, space);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    const std::string stem = std::filesystem::path(std::string(name)).stem().string();
    const auto [it, inserted] = labels.try_emplace(stem, label);
    if (!inserted && it->second != label) {
      throw_user_error("'{}' line {}: '{}' has class {}, an earlier line gave it class {}",
                       path.string(), line_number, stem, label, it->second);
    }
  }
  if (labels.empty()) throw_user_error("label file '{}' has no labels", path.string());
  return labels;
}

TopkResult evaluate_topk(const OutputDirectory& outputs, const std::filesystem::path& labels_path,
                         const TopkOptions& options) {
  if (options.topn < 1) throw_user_error("--topn must be at least 1, got {}", options.topn);
  const auto labels = read_class_labels(labels_path);
  const std::vector<OutputFile> files = outputs.files(options.output_index);
  if (files.empty()) {
    throw_user_error("'{}' has no output files '<stem>_{}.{{bin,npy,txt}}'",
                     outputs.path().string(), options.output_index);
  }
  std::vector<std::int64_t> file_labels(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto it = labels.find(files[i].stem);
    if (it == labels.end()) {
      throw_user_error("'{}' has no label in '{}' (no line for '{}')", files[i].path.string(),
                       labels_path.string(), files[i].stem);
    }
    file_labels[i] = it->second;
  }

  // The class count and label offset come from the first file; the others must agree.
  const std::int64_t classes = outputs.read(files[0]).numel();
  if (classes < 1) throw_user_error("'{}' holds no scores", files[0].path.string());
  const std::int64_t label_offset = classes == 1001 ? 1 : 0;

  TopkCounter total(options.topn);
  FirstFailure failure;
#pragma omp parallel
  {
    TopkCounter local(options.topn);
#pragma omp for schedule(dynamic, 16) nowait
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (failure.skip(i)) continue;
      try {
        const Tensor scores = outputs.read(files[i]);
        if (scores.numel() != classes) {
          throw_user_error("'{}' holds {} scores, '{}' holds {}: class counts disagree",
                           files[i].path.string(), scores.numel(), files[0].path.string(), classes);
        }
        const std::int64_t label = file_labels[i] + label_offset;
        if (label >= classes) {
          throw_user_error("'{}': label {} of '{}' is not below the {} classes of the output",
                           labels_path.string(), file_labels[i], files[i].stem, classes);
        }
        local.add(scores.span<float>(), label);
      } catch (...) {
        failure.record(i);
      }
    }
#pragma omp critical(kiln_topk_merge)
    total.merge(local);
  }
  failure.rethrow_if_failed();

  TopkResult result;
  result.images = total.samples();
  result.classes = classes;
  result.label_offset = label_offset;
  result.cumulative_hits = total.cumulative_hits();
  result.non_finite_scores = total.non_finite_scores();
  result.samples_with_non_finite = total.samples_with_non_finite();
  result.cumulative_hits.resize(
      static_cast<std::size_t>(std::min<std::int64_t>(options.topn, classes)));
  for (std::int64_t hits : result.cumulative_hits) {
    result.accuracy.push_back(static_cast<double>(hits) / static_cast<double>(result.images));
  }
  return result;
}

Report make_topk_report(const TopkResult& result) {
  Report report;
  report.rows.push_back({"Number of images", std::to_string(result.images)});
  report.rows.push_back({"Number of classes", std::to_string(result.classes)});
  nlohmann::ordered_json metrics;
  metrics["task"] = "topk";
  metrics["images"] = result.images;
  metrics["classes"] = result.classes;
  metrics["label_offset"] = result.label_offset;
  report.table = fmt::format("{} images, {} classes\n", result.images, result.classes);
  for (std::size_t n = 0; n < result.accuracy.size(); ++n) {
    // imagenet_acc_eval.py: str(round(np.cumsum(count_hit) / count * 100, 2)) + '%'
    const std::string percent = python_float_str(python_round(result.accuracy[n] * 100, 2)) + "%";
    report.rows.push_back({fmt::format("Top{} accuracy", n + 1), percent});
    metrics[fmt::format("top{}", n + 1)] = result.accuracy[n];
    report.table += fmt::format("  Top{} accuracy  {:>8}  ({} of {})\n", n + 1, percent,
                                result.cumulative_hits[n], result.images);
  }
  metrics["cumulative_hits"] = result.cumulative_hits;
  metrics["non_finite_scores"] = result.non_finite_scores;
  metrics["samples_with_non_finite_scores"] = result.samples_with_non_finite;
  if (result.non_finite_scores > 0) {
    report.rows.push_back(
        {"Non-finite scores",
         fmt::format("{} in {} images", result.non_finite_scores, result.samples_with_non_finite)});
    report.table += fmt::format(
        "  warning: {} NaN or infinite scores in {} of {} images (ranked as np.argsort(-scores) "
        "ranks them: NaN last)\n",
        result.non_finite_scores, result.samples_with_non_finite, result.images);
  }
  report.metrics_json = metrics.dump();
  return report;
}

}  // namespace kiln::eval
