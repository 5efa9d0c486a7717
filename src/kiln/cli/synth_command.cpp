// `kiln synth TASK -o DIR --count N`: writes a small seeded dataset in the task's real layout.

#include <fmt/format.h>

#include <chrono>
#include <sstream>

#include "kiln/cli/commands.h"
#include "kiln/cli/option_checks.h"
#include "kiln/core/error.h"
#include "kiln/data/synth.h"

namespace kiln::cli {

namespace {

struct SynthCommandOptions {
  std::string task;
  std::string output;
  int count = 8;
  std::uint64_t seed = 0;
  std::string size;
  int threads = 0;
  bool overwrite = false;
};

void run_synth(const SynthCommandOptions& o) {
  data::SynthOptions options;
  options.task = data::parse_task(o.task);
  options.output = o.output;
  options.count = o.count;
  options.seed = o.seed;
  options.threads = bounded_thread_count(o.threads);
  options.overwrite = o.overwrite;
  if (!o.size.empty()) {
    if (options.task != data::Task::kCityscapes) throw_user_error("--size is for cityscapes");
    std::istringstream in(o.size);
    char x = 0;
    if (!(in >> options.width >> x >> options.height) || x != 'x' || !in.eof() ||
        options.width <= 0 || options.height <= 0) {
      throw_user_error("--size '{}': expected WIDTHxHEIGHT", o.size);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  const data::SynthResult result = data::synth_dataset(options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(
      "wrote a synthetic {} dataset of {} images{} to {} in {:.1f} s ({})\n", o.task, result.images,
      options.task == data::Task::kCoco ? fmt::format(" and {} objects", result.annotations) : "",
      o.output, seconds, result.description.string());
}

}  // namespace

void add_synth_command(CLI::App& app) {
  auto o = std::make_shared<SynthCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "synth", "write a small seeded dataset in a task's real on-disk layout, for demos and tests");
  command->add_option("task", o->task, "imagenet, sr, cityscapes or coco")->required();
  command->add_option("-o,--output", o->output, "output directory")->required();
  command->add_option("--count", o->count, "number of images (default 8)")
      ->check(integer_in_range(1));
  command->add_option("--seed", o->seed, "random seed (same seed, same files)");
  command->add_option("--size", o->size, "cityscapes: image size WIDTHxHEIGHT (default 2048x1024)");
  command->add_option("--threads", o->threads, "threads (default: all cores)")
      ->check(integer_in_range(0));
  command->add_flag("--overwrite", o->overwrite,
                    "write into a non-empty directory kiln synth did not write, replacing files "
                    "of the same names");
  command->callback([o] { run_synth(*o); });
}

}  // namespace kiln::cli
