#include "kiln/bench/run_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <numeric>

#include "kiln/bench/latency_statistics.h"

namespace kiln::bench {

StageRates stage_rates(const StageReport& stage) {
  StageRates rates;
  if (stage.busy_seconds > 0) rates.samples_per_second = stage.samples / stage.busy_seconds;
  if (stage.samples > 0) rates.ms_per_sample = 1000.0 * stage.busy_seconds / stage.samples;
  return rates;
}

double inference_samples_per_second(const DatasetRunReport& report) {
  const double ms = std::accumulate(report.inference_ms.begin(), report.inference_ms.end(), 0.0);
  return ms > 0 ? 1000.0 * static_cast<double>(report.samples_run) / ms : 0;
}

namespace {

double e2e_samples_per_second(const DatasetRunReport& report) {
  return report.wall_seconds > 0 ? report.samples_run / report.wall_seconds : 0;
}

const StageReport& stage_named(const DatasetRunReport& report, std::string_view name) {
  for (const StageReport& s : report.stages) {
    if (s.name == name) return s;
  }
  static const StageReport none;
  return none;
}

template <typename... Args>
void append_line(std::string& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
  out += '\n';
}

}  // namespace

std::string format_run_report(const DatasetRunReport& report, std::size_t peak_rss_bytes) {
  std::string out;
  // The seeds' lines, same names and units: throughputRate in samples/s, [e2e] latency in ms for
  // the whole run, moduleLatency in ms per sample.
  const StageRates read = stage_rates(stage_named(report, "read"));
  const StageRates preprocess = stage_rates(stage_named(report, "preprocess"));
  const StageRates infer = stage_rates(stage_named(report, "infer"));
  const StageRates post = stage_rates(stage_named(report, "postprocess"));
  const StageRates write = stage_rates(stage_named(report, "write"));
  append_line(out, "[e2e] throughputRate: {:.6g}, latency: {:.6g}", e2e_samples_per_second(report),
              report.wall_seconds * 1000.0);
  append_line(out, "[data read] throughputRate: {:.6g}, moduleLatency: {:.6g}",
              read.samples_per_second, read.ms_per_sample);
  append_line(out, "[preprocess] throughputRate: {:.6g}, moduleLatency: {:.6g}",
              preprocess.samples_per_second, preprocess.ms_per_sample);
  append_line(
      out,
      "[infer] throughputRate: {:.6g}, Interface throughputRate: {:.6g}, moduleLatency: {:.6g}",
      infer.samples_per_second, inference_samples_per_second(report), infer.ms_per_sample);
  append_line(out, "[post] throughputRate: {:.6g}, moduleLatency: {:.6g}", post.samples_per_second,
              post.ms_per_sample);
  append_line(out, "[write] throughputRate: {:.6g}, moduleLatency: {:.6g}",
              write.samples_per_second, write.ms_per_sample);
  out += '\n';

  const std::size_t batches = stage_named(report, "infer").batches;
  append_line(
      out, "samples: {} run in {} batches of {}{}{}{}", report.samples_run, batches, report.batch,
      report.padded_samples > 0 ? fmt::format(" (last padded with {})", report.padded_samples) : "",
      report.samples_skipped > 0
          ? fmt::format(", {} skipped (complete outputs found by --resume)", report.samples_skipped)
          : "",
      report.interrupted ? ", INTERRUPTED" : "");
  append_line(out, "throughput: {:.2f} samples/s end to end, {:.2f} samples/s inference alone",
              e2e_samples_per_second(report), inference_samples_per_second(report));
  const LatencySummary latency = summarize(report.inference_ms);
  append_line(
      out,
      "batch latency (ms): mean {:.3f}  p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  min {:.3f}  max "
      "{:.3f}  cv {:.1f}%",
      latency.mean, latency.p50, latency.p90, latency.p99, latency.min, latency.max,
      100 * latency.cv);
  append_line(out, "{:<12} {:>10} {:>12} {:>12} {:>10}", "stage", "busy s", "samples/s",
              "ms/sample", "% of e2e");
  for (const StageReport& stage : report.stages) {
    const StageRates rates = stage_rates(stage);
    append_line(out, "{:<12} {:>10.3f} {:>12.2f} {:>12.3f} {:>9.1f}%", stage.name,
                stage.busy_seconds, rates.samples_per_second, rates.ms_per_sample,
                report.wall_seconds > 0 ? 100.0 * stage.busy_seconds / report.wall_seconds : 0.0);
  }
  append_line(out, "wall time {:.3f} s, peak RSS {:.1f} MiB", report.wall_seconds,
              static_cast<double>(peak_rss_bytes) / 1048576.0);
  return out;
}

nlohmann::json run_report_json(const DatasetRunReport& report, const ReportContext& context,
                               const Session& session, const std::string& output_dir,
                               OutputFormat format) {
  nlohmann::json json;
  add_context(json, context);
  json["batch"] = report.batch;
  json["samples"] = {{"total", report.samples_total},
                     {"run", report.samples_run},
                     {"skipped", report.samples_skipped},
                     {"padded", report.padded_samples},
                     {"batches", stage_named(report, "infer").batches}};
  json["interrupted"] = report.interrupted;
  json["e2e"] = {{"seconds", report.wall_seconds},
                 {"samples_per_second", e2e_samples_per_second(report)},
                 {"latency_ms", report.wall_seconds * 1000.0}};
  nlohmann::json stages = nlohmann::json::object();
  for (const StageReport& stage : report.stages) {
    const StageRates rates = stage_rates(stage);
    stages[stage.name] = {{"samples", stage.samples},
                          {"batches", stage.batches},
                          {"busy_seconds", stage.busy_seconds},
                          {"samples_per_second", rates.samples_per_second},
                          {"ms_per_sample", rates.ms_per_sample},
                          {"batch_ms", latency_json(summarize(stage.batch_ms))}};
  }
  json["stages"] = stages;
  json["inference"] = {{"samples_per_second", inference_samples_per_second(report)},
                       {"batch_latency_ms", latency_json(summarize(report.inference_ms))}};
  json["memory"] = memory_json(session);
  json["queues"] = {{"capacity", report.queue_capacity}, {"peak", report.queue_peaks}};
  json["output"] = {{"dir", output_dir}, {"format", std::string(format_extension(format))}};
  return json;
}

}  // namespace kiln::bench
