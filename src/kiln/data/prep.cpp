// The prep driver: lists the dataset, runs a pool of workers (each one image at a time, so
// memory stays flat for any dataset size), skips outputs finished by an earlier run, reports
// progress, and writes the .info list and labels once every sample is done.

#include "kiln/data/prep.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "kiln/core/checked_arithmetic.h"
#include "kiln/core/error.h"
#include "kiln/core/file_io.h"
#include "kiln/core/progress.h"
#include "kiln/data/image.h"
#include "kiln/data/preprocess.h"
#include "kiln/data/transforms.h"

namespace kiln::data {

namespace fs = std::filesystem;

fs::path output_sibling(const fs::path& dir, std::string_view suffix) {
  fs::path normal = dir.lexically_normal();
  if (normal.filename().empty()) normal = normal.parent_path();  // "out/dpn131/"
  return normal.parent_path() / (normal.filename().string() + std::string(suffix));
}

namespace {

using Clock = std::chrono::steady_clock;

// The largest buffers a worker holds for one image are float planes of the model input (and of
// the shorter-side resize, at least resize x resize): sized against the tensor limit before any
// image is read, so --crop 60000 is an error instead of std::bad_alloc or a run that never ends.
void check_recipe_memory(const InputRecipe& recipe) {
  const std::int64_t planes[2][3] = {{3, recipe.height, recipe.width},
                                     {3, recipe.resize_size, recipe.resize_size}};
  checked_tensor_bytes(
      planes[0], DType::kFloat32,
      fmt::format("a {}x{} model input (--crop/--size)", recipe.width, recipe.height));
  if (recipe.resize_size > 0) {
    checked_tensor_bytes(
        planes[1], DType::kFloat32,
        fmt::format("an image resized to a shorter side of {} (--resize)", recipe.resize_size));
  }
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// What happened to one sample.
struct Outcome {
  enum class Status : std::uint8_t { kPending, kPrepared, kReused, kSkipped };
  Status status = Status::kPending;
  int width = 0, height = 0;  // of the original image (coco's side file)
  double scale = 0;           // original pixels per input pixel (coco's side file)
};

// A problem with one input image: skippable with --skip-bad. Anything else stops prep.
struct BadSample {
  std::string message;
};

class PrepRun {
 public:
  explicit PrepRun(const PrepOptions& options)
      : options_(options),
        table_(normalization_table(options.recipe.normalization)),
        sample_bytes_(sample_size_bytes(options.recipe)) {}

  PrepResult run();

 private:
  fs::path bin_path(const Sample& s) const { return options_.output / (s.stem + ".bin"); }
  fs::path hr_path(const Sample& s) const { return hr_dir_ / (s.stem + ".png"); }
  fs::path gt_path(const Sample& s) const { return gt_dir_ / (s.stem + ".png"); }

  void check_manifest();
  bool is_complete(const Sample& sample, Outcome& outcome) const;
  void prepare(const Sample& sample, Outcome& outcome, std::vector<std::byte>& buffer) const;
  void worker();
  void write_outputs(PrepResult& result);

  const PrepOptions& options_;
  const NormalizationTable table_;
  const std::size_t sample_bytes_;
  DatasetListing listing_;
  fs::path hr_dir_, gt_dir_;
  std::vector<Outcome> outcomes_;

  std::atomic<std::int64_t> next_{0};
  std::atomic<std::int64_t> done_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable finished_;
  int running_ = 0;
  std::exception_ptr fatal_;                 // stops the run
  std::map<std::int64_t, std::string> bad_;  // sample index -> why it could not be prepared
};

void PrepRun::check_manifest() {
  const fs::path path = output_sibling(options_.output, ".prep.json");
  const std::string recipe = describe_recipe(options_.recipe);
  nlohmann::json manifest = {
      {"task", task_name(options_.task)},
      {"preset", options_.preset},
      {"recipe", recipe},
      {"input_shape", {3, input_height(options_.recipe), input_width(options_.recipe)}},
      {"dtype", dtype_name(options_.recipe.dtype)},
      {"source", fs::absolute(options_.source).lexically_normal().string()}};
  std::error_code ec;
  if (fs::exists(path, ec)) {
    nlohmann::json old;
    try {
      old = nlohmann::json::parse(read_file(path));
    } catch (const nlohmann::json::exception&) {
      old = nlohmann::json::object();
    }
    // The .bin size check of resume cannot tell recipes (or datasets) apart; the manifest can.
    if (old.value("task", "") != manifest["task"] || old.value("recipe", "") != recipe ||
        old.value("source", "") != manifest["source"]) {
      throw_user_error(
          "'{}' was prepared from another dataset or with another recipe ({} {} from '{}': "
          "{}); use another -o, or delete it and '{}' to start over",
          options_.output.string(), old.value("task", "?"), old.value("preset", "?"),
          old.value("source", "?"), old.value("recipe", "?"), path.string());
    }
  }
  write_file_atomically(path, manifest.dump(2) + "\n");
}

bool PrepRun::is_complete(const Sample& sample, Outcome& outcome) const {
  std::error_code ec;
  const auto size = fs::file_size(bin_path(sample), ec);
  if (ec || size != sample_bytes_) return false;
  try {
    const InputRecipe& recipe = options_.recipe;
    if (recipe.sr_scale > 0) {
      const ImageInfo hr = read_image_info(hr_path(sample));
      const int s = recipe.sr_scale;
      if (hr.width != recipe.width / s * s || hr.height != recipe.height / s * s) return false;
    }
    if (!sample.label_image.empty()) {
      const auto copied = fs::file_size(gt_path(sample), ec);
      if (ec || copied != fs::file_size(sample.label_image, ec) || ec) return false;
    }
    if (options_.task == Task::kCoco) {
      const ImageInfo info = read_image_info(sample.image);
      outcome.width = info.width;
      outcome.height = info.height;
      outcome.scale = 1.0 / fit_within(info.width, info.height, recipe.width, recipe.height).scale;
    }
  } catch (const Error&) {
    return false;  // an unreadable side file or source: prepare it again (and report there)
  }
  return true;
}

void PrepRun::prepare(const Sample& sample, Outcome& outcome,
                      std::vector<std::byte>& buffer) const {
  // Reading and transforming: a failure is the image's fault (skippable).
  Preprocessed result;
  std::string gt_bytes;
  try {
    const Image rgb = decode_image(sample.image);
    result = preprocess_image(rgb, options_.recipe);
    outcome.width = rgb.width;
    outcome.height = rgb.height;
    outcome.scale = result.scale;
    if (!sample.label_image.empty()) {
      if (!fs::exists(sample.label_image)) {
        throw_user_error("'{}': its ground truth '{}' does not exist", sample.image.string(),
                         sample.label_image.string());
      }
      const ImageInfo gt = read_image_info(sample.label_image);
      if (gt.format != ImageInfo::Format::kPng || gt.unchanged_channels != 1 ||
          gt.width != rgb.width || gt.height != rgb.height) {
        throw_user_error("'{}': expected a 1-channel label-id PNG of {}x{} like its image",
                         sample.label_image.string(), rgb.width, rgb.height);
      }
      gt_bytes = read_file(sample.label_image);
    }
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kInternal) throw;
    throw BadSample{e.what()};
  }
  // Writing: a failure (disk full, permissions) stops the run. The .bin goes last, so a
  // complete .bin means the side files are complete too.
  write_chw(result.input, table_, options_.recipe.dtype, buffer);
  if (options_.recipe.sr_scale > 0) write_png(hr_path(sample), result.hr, 1);
  if (!gt_bytes.empty()) write_file_atomically(gt_path(sample), gt_bytes);
  write_file_atomically(
      bin_path(sample),
      std::string_view(reinterpret_cast<const char*>(buffer.data()), buffer.size()));
}

void PrepRun::worker() {
  std::vector<std::byte> buffer(sample_bytes_);
  const auto total = static_cast<std::int64_t>(listing_.samples.size());
  while (!stop_.load()) {
    const std::int64_t index = next_.fetch_add(1);
    if (index >= total) break;
    const Sample& sample = listing_.samples[static_cast<std::size_t>(index)];
    Outcome& outcome = outcomes_[static_cast<std::size_t>(index)];
    try {
      if (is_complete(sample, outcome)) {
        outcome.status = Outcome::Status::kReused;
      } else {
        prepare(sample, outcome, buffer);
        outcome.status = Outcome::Status::kPrepared;
      }
    } catch (const BadSample& bad) {
      outcome.status = Outcome::Status::kSkipped;
      std::lock_guard lock(mutex_);
      bad_[index] = bad.message;
      if (!options_.skip_bad) stop_ = true;
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!fatal_) fatal_ = std::current_exception();
      stop_ = true;
    }
    done_.fetch_add(1);
  }
  std::lock_guard lock(mutex_);
  --running_;
  finished_.notify_all();
}

void PrepRun::write_outputs(PrepResult& result) {
  const fs::path dir_name = options_.output.lexically_normal().filename().empty()
                                ? options_.output.lexically_normal().parent_path().filename()
                                : options_.output.lexically_normal().filename();
  std::string info;
  std::string labels;
  nlohmann::ordered_json images = nlohmann::ordered_json::array();
  const int width = input_width(options_.recipe);
  const int height = input_height(options_.recipe);
  std::int64_t index = 0;
  for (std::size_t i = 0; i < listing_.samples.size(); ++i) {
    const Sample& sample = listing_.samples[i];
    const Outcome& outcome = outcomes_[i];
    if (outcome.status == Outcome::Status::kPrepared) ++result.prepared;
    if (outcome.status == Outcome::Status::kReused) ++result.reused;
    if (outcome.status == Outcome::Status::kSkipped) ++result.skipped;
    if (outcome.status != Outcome::Status::kPrepared && outcome.status != Outcome::Status::kReused)
      continue;
    info += fmt::format("{} {} {} {}\n", index++,
                        (dir_name / (sample.stem + ".bin")).generic_string(), width, height);
    if (sample.class_index >= 0) {
      labels += fmt::format("{} {}\n", sample.image.filename().string(), sample.class_index);
    }
    if (options_.task == Task::kCoco) {
      images.push_back({{"stem", sample.stem},
                        {"file_name", sample.image.filename().string()},
                        {"image_id", sample.image_id},
                        {"width", outcome.width},
                        {"height", outcome.height},
                        {"scale", outcome.scale}});
    }
  }
  result.samples = index;
  result.info = output_sibling(options_.output, ".info");
  write_file_atomically(result.info, info);
  if (options_.task == Task::kImagenet && !listing_.labels.empty()) {
    write_file_atomically(output_sibling(options_.output, ".labels.txt"), labels);
  }
  if (options_.task == Task::kCoco) {
    write_file_atomically(output_sibling(options_.output, ".images.json"),
                          nlohmann::ordered_json{{"images", images}}.dump(1) + "\n");
  }
  const fs::path skipped = output_sibling(options_.output, ".skipped.txt");
  if (!bad_.empty()) {
    std::string text;
    for (const auto& [i, message] : bad_) {
      text += fmt::format("{}\t{}\n", listing_.samples[static_cast<std::size_t>(i)].image.string(),
                          message);
    }
    write_file_atomically(skipped, text);
  } else {
    std::error_code ignored;
    fs::remove(skipped, ignored);  // a list left by an earlier run no longer applies
  }
}

PrepResult PrepRun::run() {
  const auto start = Clock::now();
  const std::string name = options_.output.lexically_normal().filename().string();
  if (options_.output.empty() || name == "." || name == "..") {
    throw_user_error("-o '{}': give the output directory a name (DIR.info goes next to it)",
                     options_.output.string());
  }
  validate_recipe(options_.recipe);
  check_recipe_memory(options_.recipe);
  listing_ = list_dataset(options_.task, options_.source, options_.listing);
  if (options_.limit > 0 && static_cast<std::int64_t>(listing_.samples.size()) > options_.limit) {
    listing_.samples.resize(static_cast<std::size_t>(options_.limit));
  }
  if (!options_.quiet) {
    for (const std::string& note : listing_.notes) fmt::print(stderr, "note: {}\n", note);
  }
  std::error_code ec;
  fs::create_directories(options_.output, ec);
  if (ec) {
    throw_user_error("cannot create the output directory '{}': {}", options_.output.string(),
                     ec.message());
  }
  if (options_.recipe.sr_scale > 0) {
    hr_dir_ = output_sibling(options_.output, ".hr");
    fs::create_directories(hr_dir_, ec);
  }
  if (options_.task == Task::kCityscapes && !listing_.labels.empty()) {
    gt_dir_ = output_sibling(options_.output, ".gt");
    fs::create_directories(gt_dir_, ec);
  }
  if (ec)
    throw_user_error("cannot create the label directories next to '{}': {}",
                     options_.output.string(), ec.message());
  check_manifest();

  const auto total = static_cast<std::int64_t>(listing_.samples.size());
  outcomes_.assign(listing_.samples.size(), Outcome{});
  int threads = options_.threads > 0 ? options_.threads
                                     : static_cast<int>(std::thread::hardware_concurrency());
  threads = static_cast<int>(std::clamp<std::int64_t>(threads, 1, total));
  ProgressDisplay progress(stderr, ProgressDisplay::mode_for(stderr, options_.quiet),
                           fmt::format("prep {}", task_name(options_.task)), "images");
  auto report = [&] {
    progress.update(static_cast<std::size_t>(done_.load()), static_cast<std::size_t>(total),
                    seconds_since(start));
  };
  std::vector<std::thread> pool;
  running_ = threads;
  for (int i = 0; i < threads; ++i) pool.emplace_back([this] { worker(); });
  {
    std::unique_lock lock(mutex_);
    while (running_ > 0) {
      finished_.wait_for(lock, std::chrono::milliseconds(250));
      lock.unlock();
      report();
      lock.lock();
    }
  }
  for (std::thread& t : pool) t.join();
  report();
  progress.finish();

  if (fatal_) std::rethrow_exception(fatal_);
  if (!bad_.empty() && !options_.skip_bad) {
    throw_user_error("{} (prep stopped; --skip-bad goes on without unreadable images)",
                     bad_.begin()->second);
  }
  PrepResult result;
  write_outputs(result);
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace

PrepResult prep_dataset(const PrepOptions& options) {
  PrepRun run(options);
  return run.run();
}

}  // namespace kiln::data
