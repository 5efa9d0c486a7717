// The report of `kiln bench`: a table with one row per batch size (throughput, latency
// percentiles, noise, memory), as text, Markdown and JSON.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "kiln/bench/benchmark.h"
#include "kiln/bench/report_context.h"

namespace kiln::bench {

/// The header line of the text table (printed once, before the first row).
std::string benchmark_table_header();
/// One row of the text table.
std::string benchmark_table_row(const BatchResult& result);

/// A Markdown document: the context, then the table.
std::string benchmark_markdown(const std::vector<BatchResult>& results,
                               const ReportContext& context, const BenchmarkOptions& options);

/// The `--summary` JSON; keys documented in README.md ("kiln bench --summary").
nlohmann::json benchmark_json(const std::vector<BatchResult>& results, const ReportContext& context,
                              const BenchmarkOptions& options);

}  // namespace kiln::bench
