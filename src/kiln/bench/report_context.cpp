#include "kiln/bench/report_context.h"

#include <nlohmann/json.hpp>

#include "kiln/bench/system_info.h"

namespace kiln::bench {

ReportContext ReportContext::collect(std::string command, const std::filesystem::path& model,
                                     int threads) {
  ReportContext context;
  context.command = std::move(command);
  context.kiln_version = KILN_VERSION;
  context.date = utc_timestamp();
  context.model_path = model.string();
  context.model_sha256 = sha256_of_file(model);
  context.cpu = cpu_model();
  context.logical_cores = bench::logical_cores();
  context.threads = threads;
  return context;
}

void add_context(nlohmann::json& report, const ReportContext& context) {
  report["kiln_version"] = context.kiln_version;
  report["command"] = context.command;
  report["date"] = context.date;
  report["model"] = {{"path", context.model_path}, {"sha256", context.model_sha256}};
  report["machine"] = {{"cpu", context.cpu}, {"logical_cores", context.logical_cores}};
  report["threads"] = context.threads;
}

nlohmann::json memory_json(const Session& session) {
  return {{"weights_bytes", session.constant_bytes()},
          {"prepared_weights_bytes", session.prepared_constant_bytes()},
          {"arena_bytes", session.arena_bytes()},
          {"scratch_bytes", session.scratch_bytes()},
          {"peak_rss_bytes", peak_rss_bytes()}};
}

nlohmann::json latency_json(const LatencySummary& s) {
  return {{"count", s.count}, {"mean", s.mean},     {"p50", s.p50},
          {"p90", s.p90},     {"p99", s.p99},       {"min", s.min},
          {"max", s.max},     {"stddev", s.stddev}, {"cv", s.cv}};
}

}  // namespace kiln::bench
