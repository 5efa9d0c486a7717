// Super-resolution evaluation over a directory: decode the HR PNG, take Y of both, shave the
// border, PSNR and SSIM per image (in parallel), then the reference's Top-N/average rows.

#include "kiln/eval/super_resolution.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>

#include "kiln/core/error.h"
#include "kiln/data/image.h"
#include "kiln/eval/first_failure.h"

namespace kiln::eval {

SuperResolutionResult evaluate_super_resolution(const OutputDirectory& outputs,
                                                const std::filesystem::path& hr_dir,
                                                const SuperResolutionOptions& options) {
  if (options.scale < 0) throw_user_error("--scale must not be negative, got {}", options.scale);
  std::error_code ec;
  if (!std::filesystem::is_directory(hr_dir, ec)) {
    throw_user_error("HR directory '{}' does not exist (expected the DIR.hr of kiln prep sr)",
                     hr_dir.string());
  }
  const std::vector<OutputFile> files = outputs.files(options.output_index);
  if (files.empty()) {
    throw_user_error("'{}' has no output files '<stem>_{}.{{bin,npy,txt}}'",
                     outputs.path().string(), options.output_index);
  }
  SuperResolutionResult result;
  result.shave = options.scale;
  result.luma = options.luma;
  result.images.resize(files.size());
  FirstFailure failure;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (failure.skip(i)) continue;
    try {
      const OutputFile& file = files[i];
      const std::filesystem::path hr_path = hr_dir / (file.stem + ".png");
      if (!std::filesystem::exists(hr_path)) {
        throw_user_error("'{}' has no HR image: '{}' does not exist", file.path.string(),
                         hr_path.string());
      }
      const data::Image hr = data::decode_image(hr_path, data::ColorMode::kRgb);
      const Tensor prediction = outputs.read(file);
      const std::int64_t expected = 3LL * hr.width * hr.height;
      if (prediction.numel() != expected) {
        throw_user_error(
            "'{}' holds {} values; its HR image '{}' is {}x{}, so the output should be [3, {}, "
            "{}]",
            file.path.string(), prediction.numel(), hr_path.string(), hr.width, hr.height,
            hr.height, hr.width);
      }
      if (2 * options.scale >= std::min(hr.width, hr.height)) {
        throw_user_error("'{}' is {}x{}: nothing is left after shaving {} pixels per side",
                         hr_path.string(), hr.width, hr.height, options.scale);
      }
      const Plane hr_y =
          shave(luma_from_rgb8(hr.pixels.data(), hr.height, hr.width, options.luma), options.scale);
      const Plane sr_y =
          shave(luma_from_unit_chw(prediction.data<float>(), hr.height, hr.width, options.luma),
                options.scale);
      result.images[i] = {file.stem, psnr(hr_y, sr_y), ssim(hr_y, sr_y)};
    } catch (...) {
      failure.record(i);
    }
  }
  failure.rethrow_if_failed();

  // RDN_postprocess.py: res sorted descending, Avg_PSNR = np.sum(res) / L.
  std::vector<double> psnrs, ssims;
  for (const SuperResolutionImage& image : result.images) {
    psnrs.push_back(image.psnr);
    ssims.push_back(image.ssim);
  }
  std::sort(psnrs.begin(), psnrs.end(), std::greater<>());
  double sum = 0, ssim_sum = 0;
  for (double v : psnrs) sum += v;
  for (double v : ssims) ssim_sum += v;
  result.average_psnr = sum / static_cast<double>(psnrs.size());
  result.average_ssim = ssim_sum / static_cast<double>(ssims.size());
  return result;
}

Report make_super_resolution_report(const SuperResolutionResult& result) {
  Report report;
  std::vector<double> sorted;
  for (const SuperResolutionImage& image : result.images) sorted.push_back(image.psnr);
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  report.rows.push_back({"Number of images", std::to_string(sorted.size())});
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    report.rows.push_back(
        {fmt::format("Top{} PSNR", i + 1), python_float_str(numpy_around(sorted[i], 2))});
  }
  report.rows.push_back({"Avg PSNR", python_float_str(numpy_around(result.average_psnr, 2))});
  report.rows.push_back({"Avg SSIM", python_float_str(numpy_around(result.average_ssim, 4))});

  nlohmann::ordered_json metrics;
  metrics["task"] = "psnr";
  metrics["images"] = result.images.size();
  metrics["average_psnr"] = result.average_psnr;
  metrics["average_ssim"] = result.average_ssim;
  metrics["shave"] = result.shave;
  metrics["luma"] = result.luma == LumaWeights::kRdnReference ? "rdn" : "bt601";
  nlohmann::ordered_json per_image = nlohmann::ordered_json::array();
  report.table = fmt::format("{:<32} {:>9} {:>8}\n", "image", "PSNR (dB)", "SSIM");
  for (const SuperResolutionImage& image : result.images) {
    per_image.push_back({{"stem", image.stem},
                         {"psnr", std::isinf(image.psnr) ? nlohmann::ordered_json(nullptr)
                                                         : nlohmann::ordered_json(image.psnr)},
                         {"ssim", image.ssim}});
    report.table += fmt::format("{:<32} {:>9.2f} {:>8.4f}\n", image.stem, image.psnr, image.ssim);
  }
  metrics["per_image"] = per_image;
  report.metrics_json = metrics.dump();
  report.table += fmt::format(
      "Avg_PSNR: {:.2f}  Avg_SSIM: {:.4f}  ({} images, Y channel, {} "
      "pixels shaved)\n",
      result.average_psnr, result.average_ssim, result.images.size(), result.shave);
  return report;
}

}  // namespace kiln::eval
