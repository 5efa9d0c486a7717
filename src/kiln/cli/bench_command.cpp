// `kiln bench MODEL`: pure-inference throughput and latency over a sweep of batch sizes, with
// concurrent streams sharing the weights; prints a table and writes JSON/Markdown reports.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kiln/bench/benchmark.h"
#include "kiln/bench/benchmark_report.h"
#include "kiln/cli/commands.h"
#include "kiln/cli/model_options.h"
#include "kiln/cli/option_checks.h"
#include "kiln/cli/output_paths.h"
#include "kiln/core/error.h"
#include "kiln/core/file_io.h"
#include "kiln/core/progress.h"

namespace kiln::cli {

namespace {

struct BenchCommandOptions {
  ModelOptions model;
  std::vector<std::int64_t> batches = {1};
  int warmup = 2;
  int iterations = 0;
  double duration = 5;
  int streams = 1;
  std::uint32_t seed = 0;
  std::vector<std::string> inputs;
  std::string summary;
  std::string markdown;
  bool quiet = false;
};

void bench_model(const BenchCommandOptions& options) {
  std::vector<CommandPath> inputs = {{"MODEL", options.model.model}};
  for (const std::string& text : options.inputs) {
    const std::size_t eq = text.find('=');
    inputs.push_back({"--input", eq == std::string::npos ? text : text.substr(eq + 1)});
  }
  check_outputs_are_not_inputs({{"--summary", options.summary}, {"--markdown", options.markdown}},
                               inputs);
  bench::BenchmarkOptions bench_options;
  bench_options.batches = options.batches;
  bench_options.warmup = options.warmup;
  bench_options.iterations = options.iterations;
  bench_options.duration_seconds = options.duration;
  bench_options.session = options.model.session_options();
  bench_options.threads = bench_options.session.threads;
  bench_options.streams = options.streams;
  bench_options.seed = options.seed;
  bench_options.input_files = options.inputs;
  bench::check_benchmark_options(bench_options);
  const bool terminal =
      ProgressDisplay::mode_for(stderr, options.quiet) == ProgressDisplay::Mode::kBar;
  if (terminal) {
    bench_options.on_status = [](const std::string& status) {
      fmt::print(stderr, "\r{}\x1b[K", status);
      std::fflush(stderr);
    };
  }

  const bench::ReportContext context =
      bench::ReportContext::collect("bench", options.model.model, 0);
  fmt::print("kiln bench {}\n{} ({} logical cores); {} stream(s), {} warm-up run(s), {}\n",
             options.model.model, context.cpu, context.logical_cores, options.streams,
             options.warmup,
             options.iterations > 0
                 ? fmt::format("{} timed runs per stream", options.iterations)
                 : fmt::format("at least {} s and 3 runs per stream", options.duration));
  fmt::print("{}\n", bench::benchmark_table_header());
  std::fflush(stdout);
  const std::vector<bench::BatchResult> results =
      bench::run_benchmark(options.model.model, bench_options, [&](const bench::BatchResult& r) {
        if (terminal) fmt::print(stderr, "\r\x1b[K");
        fmt::print("{}\n", bench::benchmark_table_row(r));
        std::fflush(stdout);
      });

  bench::ReportContext with_threads = context;
  with_threads.threads = results.empty() ? 0 : results[0].threads_per_stream;
  if (!options.summary.empty()) {
    write_file_atomically(
        options.summary,
        bench::benchmark_json(results, with_threads, bench_options).dump(2) + "\n");
    fmt::print("wrote {}\n", options.summary);
  }
  if (!options.markdown.empty()) {
    write_file_atomically(options.markdown,
                          bench::benchmark_markdown(results, with_threads, bench_options));
    fmt::print("wrote {}\n", options.markdown);
  }
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto options = std::make_shared<BenchCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "bench", "measure pure-inference throughput and latency over a sweep of batch sizes");
  options->model.add_to(*command);
  command->add_option("--batch", options->batches, "batch sizes to sweep, e.g. 1,4,8,16,32,64")
      ->delimiter(',')
      ->check(integer_in_range(1, std::numeric_limits<std::int64_t>::max()))
      ->default_str("1");
  command->add_option("--warmup", options->warmup, "untimed runs per stream before timing")
      ->check(integer_in_range(0))
      ->default_str("2");
  auto* iterations =
      command->add_option("--iterations", options->iterations, "timed runs per stream")
          ->check(integer_in_range(1));
  command
      ->add_option("--duration", options->duration,
                   "time each batch size for at least this many seconds (and 3 runs)")
      ->check(positive_finite())
      ->default_str("5")
      ->excludes(iterations);
  command
      ->add_option("--streams", options->streams,
                   "concurrent sessions sharing one copy of the weights; --threads is split "
                   "between them (at most one stream per thread)")
      ->check(integer_in_range(1))
      ->default_str("1");
  command->add_option("--seed", options->seed, "seed of the random inputs");
  command
      ->add_option("--input", options->inputs,
                   "real inputs instead of random ones: FILE.npy or NAME=FILE.npy with one or "
                   "more samples, repeated to fill the batch")
      ->delimiter(',');
  command->add_option("--summary", options->summary, "write the results as JSON to this file");
  command->add_option("--markdown", options->markdown,
                      "write the results as a Markdown table to this file");
  command->add_flag("--quiet", options->quiet, "no progress display");
  command->callback([options] { bench_model(*options); });
}

}  // namespace kiln::cli
