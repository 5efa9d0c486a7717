// `kiln prep TASK SRC -o DIR`: turns a dataset into one tensor file per sample, the .info list
// and the labels for `kiln eval`, with a model's preprocessing preset or explicit options.

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "kiln/cli/commands.h"
#include "kiln/cli/option_checks.h"
#include "kiln/cli/output_paths.h"
#include "kiln/core/error.h"
#include "kiln/data/prep.h"
#include "kiln/data/presets.h"

namespace kiln::cli {

namespace {

struct PrepCommandOptions {
  std::string task;
  std::string source;
  std::string output;
  std::string preset;
  int resize = -1;
  std::string crop;
  std::string size;
  std::string interpolation;
  std::vector<double> mean;
  std::vector<double> std;
  std::string arithmetic;
  std::string channel_order;
  std::string dtype;
  int scale = 0;
  std::string labels;
  std::string annotations;
  std::string split = "val";
  int threads = 0;
  std::int64_t limit = 0;
  bool skip_bad = false;
  bool quiet = false;
};

// "224" or "1024x512" -> {width, height}.
std::array<int, 2> parse_size(const std::string& text, std::string_view option) {
  std::istringstream in(text);
  int width = 0, height = 0;
  char x = 0;
  if ((in >> width) && in.eof() && width > 0) return {width, width};
  in.clear();
  in.str(text);
  if ((in >> width >> x >> height) && x == 'x' && in.eof() && width > 0 && height > 0) {
    return {width, height};
  }
  throw_user_error("{} '{}': expected N or WIDTHxHEIGHT", option, text);
}

std::array<double, 3> three_values(const std::vector<double>& values, std::string_view option) {
  for (double v : values) {
    if (!std::isfinite(v)) throw_user_error("{} {}: expected finite numbers", option, v);
  }
  if (values.size() == 1) return {values[0], values[0], values[0]};
  if (values.size() == 3) return {values[0], values[1], values[2]};
  throw_user_error("{} takes 1 or 3 values (one per channel), got {}", option, values.size());
}

void run_prep(const PrepCommandOptions& o) {
  using namespace kiln::data;
  check_output_directory(
      {"-o", o.output},
      {{"source", o.source}, {"--labels", o.labels}, {"--annotations", o.annotations}});
  PrepOptions options;
  options.task = parse_task(o.task);
  options.source = o.source;
  options.output = o.output;

  const bool custom = o.resize >= 0 || !o.crop.empty() || !o.size.empty() ||
                      !o.interpolation.empty() || !o.mean.empty() || !o.std.empty() ||
                      !o.arithmetic.empty() || !o.channel_order.empty() || o.scale > 0;
  const Preset* preset = nullptr;
  if (!o.preset.empty()) {
    preset = &find_preset(o.preset);
    if (preset->task != options.task) {
      throw_user_error("preset '{}' is for {}, not {}", o.preset, task_name(preset->task), o.task);
    }
  } else {
    preset = default_preset(options.task);
    if (preset == nullptr && !custom) {
      throw_user_error(
          "imagenet needs a model's preprocessing: --preset dpn131|lvvit|resnet, or explicit "
          "--resize/--crop/--interp/--mean/--std (on top of resnet's)");
    }
    if (preset == nullptr) preset = &find_preset("resnet");
  }
  InputRecipe recipe = preset->recipe;
  if (o.resize >= 0) {
    if (options.task != Task::kImagenet) throw_user_error("--resize is for imagenet");
    recipe.resize_size = o.resize;
  }
  if (!o.crop.empty()) {
    if (options.task != Task::kImagenet) throw_user_error("--crop is for imagenet; use --size");
    const auto crop = parse_size(o.crop, "--crop");
    recipe.width = crop[0];
    recipe.height = crop[1];
  }
  if (!o.size.empty()) {
    const auto size = parse_size(o.size, "--size");
    recipe.width = size[0];
    recipe.height = size[1];
  }
  if (!o.interpolation.empty()) recipe.interpolation = parse_interpolation(o.interpolation);
  if (!o.arithmetic.empty()) recipe.normalization.arithmetic = parse_arithmetic(o.arithmetic);
  if (!o.mean.empty()) recipe.normalization.mean = three_values(o.mean, "--mean");
  if (!o.std.empty()) recipe.normalization.std = three_values(o.std, "--std");
  if (!o.channel_order.empty()) {
    if (o.channel_order != "rgb" && o.channel_order != "bgr") {
      throw_user_error("--channel-order '{}': expected rgb or bgr", o.channel_order);
    }
    recipe.bgr = o.channel_order == "bgr";
  }
  if (!o.dtype.empty()) recipe.dtype = parse_dtype(o.dtype);
  if (o.scale > 0) {
    if (options.task != Task::kSr) throw_user_error("--scale is for sr");
    recipe.sr_scale = o.scale;
  }
  options.recipe = recipe;
  options.preset = std::string(preset->name) + (custom ? "+options" : "");
  options.listing.labels = o.labels;
  options.listing.annotations = o.annotations;
  options.listing.split = o.split;
  options.threads = bounded_thread_count(o.threads);
  options.limit = o.limit;
  options.skip_bad = o.skip_bad;
  options.quiet = o.quiet;

  if (!o.quiet) fmt::print("prep {} ({}): {}\n", o.task, options.preset, describe_recipe(recipe));
  const PrepResult result = prep_dataset(options);
  fmt::print(
      "prepared {} samples in {:.1f} s ({} new at {:.1f} images/s, {} reused, {} skipped): {}\n",
      result.samples, result.seconds, result.prepared,
      result.seconds > 0 ? static_cast<double>(result.prepared) / result.seconds : 0.0,
      result.reused, result.skipped, result.info.string());
  if (result.skipped > 0) {
    fmt::print("skipped images are listed in {}\n",
               output_sibling(options.output, ".skipped.txt").string());
  }
}

}  // namespace

void add_prep_command(CLI::App& app) {
  auto o = std::make_shared<PrepCommandOptions>();
  std::string preset_help = "the model's preprocessing:";
  for (const data::Preset& preset : data::presets()) {
    preset_help +=
        fmt::format("\n  {} ({}): {}", preset.name, data::task_name(preset.task), preset.summary);
  }
  preset_help +=
      "\n(default: rdn for sr, intrada for cityscapes, efficientdet_d0 for coco; imagenet needs "
      "one)";
  CLI::App* command = app.add_subcommand(
      "prep",
      "preprocess a dataset into per-sample tensors, an .info list and the labels for eval");
  command->add_option("task", o->task, "imagenet, sr, cityscapes or coco")->required();
  command
      ->add_option("source", o->source,
                   "dataset: ImageNet val folder (+ val_label.txt), folder of HR images, "
                   "Cityscapes root, COCO root (val2017/ + annotations/)")
      ->required();
  command->add_option("-o,--output", o->output, "output directory DIR")->required();
  command->add_option("--preset", o->preset, preset_help);
  command
      ->add_option("--resize", o->resize,
                   "imagenet: resize the shorter side to N first (0: no resize)")
      ->check(integer_in_range(0));
  command->add_option("--crop", o->crop, "imagenet: center crop N or WIDTHxHEIGHT");
  command->add_option("--size", o->size,
                      "model input size N or WIDTHxHEIGHT (sr: the HR size; coco: the canvas)");
  command->add_option("--interp", o->interpolation,
                      "resize filter: nearest, bilinear, bicubic (PIL), cv-linear, cv-cubic "
                      "(OpenCV)");
  command->add_option("--mean", o->mean, "per-channel mean (1 or 3 values, tensor channel order)")
      ->delimiter(',');
  command->add_option("--std", o->std, "per-channel std (1 or 3 values)")->delimiter(',');
  command->add_option("--arithmetic", o->arithmetic,
                      "how (x - mean) / std is computed: unit-float32 (x = pixel / 255, "
                      "mean/std in [0, 1]), pixel-float32 or pixel-float64 (mean/std in "
                      "0..255), rescaled-float32 (IntraDA)");
  command->add_option("--channel-order", o->channel_order, "rgb or bgr");
  command->add_option("--dtype", o->dtype, "float32 (default), float16 or uint8 (raw pixels)");
  command->add_option("--scale", o->scale, "sr: the super-resolution factor")
      ->check(integer_in_range(1));
  command->add_option("--labels", o->labels,
                      "imagenet: the label list (default: val_label.txt next to the images)");
  command->add_option("--annotations", o->annotations,
                      "coco: the instances json (default: annotations/instances_val2017.json)");
  command->add_option("--split", o->split, "cityscapes: the split folder (default: val)");
  command->add_option("--threads", o->threads, "worker threads (default: all cores)")
      ->check(integer_in_range(0));
  command->add_option("--limit", o->limit, "prepare only the first N images (sorted by name)")
      ->check(integer_in_range(0, std::numeric_limits<std::int64_t>::max()));
  command->add_flag("--skip-bad", o->skip_bad,
                    "go on past unreadable images, listing them in DIR.skipped.txt");
  command->add_flag("--quiet", o->quiet, "no progress display");
  command->callback([o] { run_prep(*o); });
}

}  // namespace kiln::cli
