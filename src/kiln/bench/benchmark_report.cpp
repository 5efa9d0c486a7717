#include "kiln/bench/benchmark_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace kiln::bench {

namespace {

double mib(std::size_t bytes) {
  return static_cast<double>(bytes) / 1048576.0;
}

std::string timing_text(const BenchmarkOptions& options) {
  return options.iterations > 0 ? fmt::format("{} timed runs per stream", options.iterations)
                                : fmt::format("timed for at least {} s and {} runs per stream",
                                              options.duration_seconds, options.min_iterations);
}

}  // namespace

std::string benchmark_table_header() {
  return fmt::format(
      "{:>6} {:>7} {:>6} {:>11} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6} {:>9} {:>9} {:>9}",
      "batch", "streams", "runs", "samples/s", "mean ms", "p50 ms", "p90 ms", "p99 ms", "min ms",
      "max ms", "cv", "weights", "arena", "peak RSS");
}

std::string benchmark_table_row(const BatchResult& r) {
  const LatencySummary& l = r.latency_ms;
  return fmt::format(
      "{:>6} {:>7} {:>6} {:>11.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>5.1f}% "
      "{:>7.1f}Mi {:>7.1f}Mi {:>7.1f}Mi",
      r.batch, r.streams, r.runs, r.samples_per_second, l.mean, l.p50, l.p90, l.p99, l.min, l.max,
      100 * l.cv, mib(r.weights_bytes + r.prepared_weights_bytes), mib(r.arena_bytes),
      mib(r.peak_rss_bytes));
}

std::string benchmark_markdown(const std::vector<BatchResult>& results,
                               const ReportContext& context, const BenchmarkOptions& options) {
  std::string out = fmt::format(
      "# kiln bench: {}\n\n"
      "- model sha256 `{}`\n- kiln {} on {} ({} logical cores), {}\n"
      "- {} thread(s) per stream, {} stream(s), {} warm-up run(s), {}; {} inputs\n\n",
      context.model_path, context.model_sha256, context.kiln_version, context.cpu,
      context.logical_cores, context.date, results.empty() ? 0 : results[0].threads_per_stream,
      options.streams, options.warmup, timing_text(options),
      options.input_files.empty() ? fmt::format("random (seed {})", options.seed) : "file");
  out +=
      "| batch | streams | runs | samples/s | mean ms | p50 ms | p90 ms | p99 ms | min ms | max ms "
      "| cv | weights MiB | arena MiB | peak RSS MiB |\n"
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
      "| "
      "---: |\n";
  for (const BatchResult& r : results) {
    const LatencySummary& l = r.latency_ms;
    out += fmt::format(
        "| {} | {} | {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.1f}% | "
        "{:.1f} | {:.1f} | {:.1f} |\n",
        r.batch, r.streams, r.runs, r.samples_per_second, l.mean, l.p50, l.p90, l.p99, l.min, l.max,
        100 * l.cv, mib(r.weights_bytes + r.prepared_weights_bytes), mib(r.arena_bytes),
        mib(r.peak_rss_bytes));
  }
  out += "\nLatency is per batch run; samples/s counts all streams together.\n";
  return out;
}

nlohmann::json benchmark_json(const std::vector<BatchResult>& results, const ReportContext& context,
                              const BenchmarkOptions& options) {
  nlohmann::json json;
  add_context(json, context);
  json["streams"] = options.streams;
  json["warmup"] = options.warmup;
  json["iterations"] = options.iterations;
  json["duration_seconds"] = options.iterations > 0 ? 0.0 : options.duration_seconds;
  json["input"] = options.input_files.empty() ? fmt::format("random(seed={})", options.seed)
                                              : std::string("files");
  nlohmann::json rows = nlohmann::json::array();
  for (const BatchResult& r : results) {
    rows.push_back({{"batch", r.batch},
                    {"streams", r.streams},
                    {"threads_per_stream", r.threads_per_stream},
                    {"compile_seconds", r.compile_seconds},
                    {"runs", r.runs},
                    {"seconds", r.seconds},
                    {"samples_per_second", r.samples_per_second},
                    {"batch_latency_ms", latency_json(r.latency_ms)},
                    {"memory",
                     {{"weights_bytes", r.weights_bytes},
                      {"prepared_weights_bytes", r.prepared_weights_bytes},
                      {"arena_bytes", r.arena_bytes},
                      {"scratch_bytes", r.scratch_bytes},
                      {"peak_rss_bytes", r.peak_rss_bytes}}}});
  }
  json["results"] = rows;
  return json;
}

}  // namespace kiln::bench
