// What every kiln report records besides its figures: version, date, machine, model and the
// settings that produced the numbers.
#pragma once

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "kiln/bench/latency_statistics.h"
#include "kiln/runtime/session.h"

namespace kiln::bench {

struct ReportContext {
  std::string command;  ///< "run" or "bench"
  std::string kiln_version;
  std::string date;  ///< UTC, ISO 8601
  std::string model_path;
  std::string model_sha256;
  std::string cpu;
  int logical_cores = 0;
  int threads = 0;  ///< per session

  /// Fills version, date, CPU and the model's hash for `command` on `model`.
  static ReportContext collect(std::string command, const std::filesystem::path& model,
                               int threads);
};

/// The context's keys, merged into a report's JSON object.
void add_context(nlohmann::json& report, const ReportContext& context);

/// Weights, prepared weights, activation arena and scratch of a session, and the process's peak
/// resident memory, as a JSON object of byte counts.
nlohmann::json memory_json(const Session& session);

/// A LatencySummary as JSON: count, mean, p50, p90, p99, min, max, stddev, cv.
nlohmann::json latency_json(const LatencySummary& summary);

}  // namespace kiln::bench
