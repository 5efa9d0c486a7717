// `kiln eval psnr`: PSNR/SSIM of super-resolution outputs against their HR images, reported as
// the seed's RDN_postprocess.py writes result.json.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "kiln/eval/output_reader.h"
#include "kiln/eval/psnr_ssim.h"
#include "kiln/eval/result_json.h"

namespace kiln::eval {

struct SuperResolutionOptions {
  int scale = 2;  ///< the border shaved on each side is the upscaling factor
  int output_index = 1;
  LumaWeights luma = LumaWeights::kRdnReference;
};

struct SuperResolutionImage {
  std::string stem;
  double psnr = 0;
  double ssim = 0;
};

struct SuperResolutionResult {
  std::vector<SuperResolutionImage> images;  ///< in stem order
  double average_psnr = 0;
  double average_ssim = 0;
  int shave = 0;
  LumaWeights luma = LumaWeights::kRdnReference;
};

/// Every output `<stem>_<k>` ([3, H, W] in [0, 1]) against `hr_dir`/<stem>.png (H x W RGB).
SuperResolutionResult evaluate_super_resolution(const OutputDirectory& outputs,
                                                const std::filesystem::path& hr_dir,
                                                const SuperResolutionOptions& options);

/// Rows "Number of images", "Top1 PSNR" .. "TopN PSNR" (descending), "Avg PSNR" (values as
/// str(np.around(x, 2))), then "Avg SSIM"; per-image figures in the metrics section.
Report make_super_resolution_report(const SuperResolutionResult& result);

}  // namespace kiln::eval
