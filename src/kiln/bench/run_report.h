// The report of `kiln run` over a dataset: the seeds' per-stage lines (`[e2e]`, `[data read]`,
// `[preprocess]`, `[infer]`, `[post]`), kiln's summary, and the same figures as JSON.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "kiln/bench/dataset_pipeline.h"
#include "kiln/bench/report_context.h"

namespace kiln::bench {

/// Figures derived from a DatasetRunReport, in the units the seeds print.
struct StageRates {
  double samples_per_second = 0;  ///< samples / busy seconds
  double ms_per_sample = 0;       ///< busy milliseconds / samples ("moduleLatency")
};
StageRates stage_rates(const StageReport& stage);

/// Samples per second of Session::run alone (the seeds' "Interface throughputRate").
double inference_samples_per_second(const DatasetRunReport& report);

/// The text `kiln run` prints after a dataset run. `peak_rss_bytes` of the process.
std::string format_run_report(const DatasetRunReport& report, std::size_t peak_rss_bytes);

/// The `--summary` JSON; its keys are documented in README.md ("kiln run --summary").
nlohmann::json run_report_json(const DatasetRunReport& report, const ReportContext& context,
                               const Session& session, const std::string& output_dir,
                               OutputFormat format);

}  // namespace kiln::bench
