// `kiln eval topk|psnr|miou|coco`: turns the outputs of `kiln run` into the task's accuracy
// figure, prints a table and writes result.json in the seeds' shape.

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>

#include "kiln/cli/commands.h"
#include "kiln/cli/option_checks.h"
#include "kiln/cli/output_paths.h"
#include "kiln/core/error.h"
#include "kiln/eval/coco_evaluation.h"
#include "kiln/eval/efficientdet_decode.h"
#include "kiln/eval/output_reader.h"
#include "kiln/eval/segmentation.h"
#include "kiln/eval/super_resolution.h"
#include "kiln/eval/topk_accuracy.h"

namespace kiln::cli {

namespace {

struct EvalOptions {
  std::string outputs;    ///< OUT_DIR, or DETS for coco
  std::string reference;  ///< labels file, HR directory, label directory, annotations
  std::string result = "result.json";
  int output_index = 1;
  // topk
  int topn = 5;
  // psnr
  int scale = 2;
  std::string luma = "rdn";
  // miou
  std::string output_shape;
  std::string labels = "label-ids";
  // coco
  std::string decode;
  std::string images;
  std::string input_size = "512,512";
  std::string detections_out;
};

// Nothing eval writes may be a file it reads (`-o labels.txt` would replace the labels).
void check_written_paths(const EvalOptions& options, const std::string& detections_out = {}) {
  const std::vector<CommandPath> inputs = {{"outputs argument", options.outputs},
                                           {"reference argument", options.reference},
                                           {"--images", options.images}};
  check_outputs_are_not_inputs({{"--result", options.result}, {"--detections-out", detections_out}},
                               inputs);
  check_outputs_are_not_inputs({{"--detections-out", detections_out}},
                               {{"--result", options.result}});
}

void finish(const eval::Report& report, const EvalOptions& options,
            std::chrono::steady_clock::time_point start) {
  fmt::print("{}", report.table);
  eval::write_result_json(options.result, report);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("wrote {} ({:.2f} s)\n", options.result, seconds);
}

void run_topk(const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  check_written_paths(options);
  const eval::OutputDirectory outputs(options.outputs);
  const eval::TopkResult result = eval::evaluate_topk(
      outputs, options.reference, {.topn = options.topn, .output_index = options.output_index});
  finish(eval::make_topk_report(result), options, start);
}

void run_psnr(const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  check_written_paths(options);
  if (options.luma != "rdn" && options.luma != "bt601") {
    throw_user_error("--luma '{}': expected rdn or bt601", options.luma);
  }
  const eval::OutputDirectory outputs(options.outputs);
  const eval::SuperResolutionResult result = eval::evaluate_super_resolution(
      outputs, options.reference,
      {.scale = options.scale,
       .output_index = options.output_index,
       .luma =
           options.luma == "rdn" ? eval::LumaWeights::kRdnReference : eval::LumaWeights::kBt601});
  finish(eval::make_super_resolution_report(result), options, start);
}

void run_miou(const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  check_written_paths(options);
  if (options.labels != "label-ids" && options.labels != "train-ids") {
    throw_user_error("--labels '{}': expected label-ids or train-ids", options.labels);
  }
  eval::SegmentationOptions segmentation;
  segmentation.output_index = options.output_index;
  if (!options.output_shape.empty()) {
    segmentation.output_shape = eval::parse_shape_option(options.output_shape, "--output-shape");
  }
  segmentation.label_format = options.labels == "label-ids" ? eval::LabelFormat::kCityscapesLabelIds
                                                            : eval::LabelFormat::kTrainIds;
  const eval::OutputDirectory outputs(options.outputs);
  const eval::SegmentationResult result =
      eval::evaluate_segmentation(outputs, options.reference, segmentation);
  finish(eval::make_segmentation_report(result), options, start);
}

void run_coco(const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const eval::CocoGroundTruth ground_truth = eval::read_coco_ground_truth(options.reference);
  std::vector<eval::CocoDetection> detections;
  eval::CocoEvalOptions coco;
  if (options.decode.empty()) {
    if (!options.images.empty()) {
      throw_user_error(
          "--images is the side file for --decode efficientdet; DETS '{}' is "
          "already a COCO results file",
          options.outputs);
    }
    check_written_paths(options);
    detections = eval::read_coco_detections(options.outputs);
  } else {
    if (options.decode != "efficientdet") {
      throw_user_error("--decode '{}': the decoder kiln has is efficientdet", options.decode);
    }
    if (options.images.empty()) {
      throw_user_error(
          "--decode efficientdet needs --images DIR.images.json (written by kiln "
          "prep coco: image ids, sizes and scales)");
    }
    const Shape size = eval::parse_shape_option(options.input_size, "--input-size");
    if (size.rank() != 2) throw_user_error("--input-size '{}': expected H,W", options.input_size);
    const std::string detections_path =
        options.detections_out.empty()
            ? (std::filesystem::path(options.result).parent_path() / "detections.json").string()
            : options.detections_out;
    check_written_paths(options, detections_path);
    eval::EfficientDetOptions decode;
    decode.input_height = static_cast<int>(size[0]);
    decode.input_width = static_cast<int>(size[1]);
    const std::vector<eval::PreparedImage> images = eval::read_prepared_images(options.images);
    const eval::OutputDirectory outputs(options.outputs);
    eval::DecodedDetections decoded = eval::decode_efficientdet_outputs(outputs, images, decode);
    detections = std::move(decoded.detections);
    if (decoded.non_finite_dropped > 0) {
      fmt::print(stderr,
                 "kiln: warning: dropped {} detections with a NaN or infinite score or box in {} "
                 "of {} images (the model's outputs hold non-finite values)\n",
                 decoded.non_finite_dropped, decoded.images_with_non_finite, images.size());
    }
    // Only the decoded images are scored, as effdet's CocoEvaluator sets params.imgIds.
    for (const eval::PreparedImage& image : images) coco.image_ids.push_back(image.image_id);

    eval::write_coco_detections(detections_path, detections);
    fmt::print("decoded {} images: {} detections, wrote {}\n", images.size(), detections.size(),
               detections_path);
  }
  const eval::CocoEvalResult result = eval::evaluate_coco(ground_truth, detections, coco);
  finish(eval::make_coco_report(result, ground_truth), options, start);
}

CLI::App* add_task(CLI::App& eval_command, const char* name, const char* help,
                   const std::shared_ptr<EvalOptions>& options, const char* outputs_name,
                   const char* outputs_help, const char* reference_name,
                   const char* reference_help) {
  CLI::App* task = eval_command.add_subcommand(name, help);
  task->add_option(outputs_name, options->outputs, outputs_help)->required();
  task->add_option(reference_name, options->reference, reference_help)->required();
  task->add_option("-o,--result", options->result, "result.json to write (atomically)")
      ->capture_default_str();
  return task;
}

}  // namespace

void add_eval_command(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "eval", "accuracy of dumped outputs: Top-N, PSNR/SSIM, mIoU, COCO mAP -> result.json");
  command->require_subcommand(1);
  auto options = std::make_shared<EvalOptions>();
  auto index_option = [&](CLI::App* task) {
    task->add_option("--output-index", options->output_index,
                     "which model output to read (<stem>_<k>, k from 1)")
        ->capture_default_str()
        ->check(integer_in_range(1));
  };

  CLI::App* topk = add_task(*command, "topk", "Top-1..Top-N accuracy of classification scores",
                            options, "OUT_DIR", "directory of kiln run outputs", "LABELS",
                            "label list: '<file name> <class index>' per line (val_label.txt)");
  topk->add_option("--topn", options->topn, "largest N reported")
      ->capture_default_str()
      ->check(integer_in_range(1));
  index_option(topk);
  topk->callback([options] { run_topk(*options); });

  CLI::App* psnr =
      add_task(*command, "psnr", "PSNR and SSIM of super-resolution outputs (Y channel)", options,
               "OUT_DIR", "directory of kiln run outputs ([3, H, W] in [0, 1])", "HR_DIR",
               "directory of HR images <stem>.png (kiln prep sr's DIR.hr)");
  psnr->add_option("--scale", options->scale, "upscaling factor: pixels shaved off each border")
      ->capture_default_str()
      ->check(integer_in_range(0));
  psnr->add_option("--luma", options->luma,
                   "Y weights: rdn (RDN reference, 64.738 R) or bt601 (65.738 R)")
      ->capture_default_str();
  index_option(psnr);
  psnr->callback([options] { run_psnr(*options); });

  CLI::App* miou =
      add_task(*command, "miou", "mIoU of segmentation logits (Cityscapes, 19 classes)", options,
               "OUT_DIR", "directory of kiln run outputs ([C, h, w] logits)", "LABEL_DIR",
               "label images <stem>.png (kiln prep cityscapes' DIR.gt) or gtFine/val");
  miou->add_option("--output-shape", options->output_shape,
                   "C,H,W of the logits when there is no outputs.json or .npy header")
      ->capture_default_str();
  miou->add_option("--labels", options->labels,
                   "label-ids (Cityscapes *_labelIds.png, mapped to train ids) or train-ids")
      ->capture_default_str();
  index_option(miou);
  miou->callback([options] { run_miou(*options); });

  CLI::App* coco =
      add_task(*command, "coco", "COCO bbox mAP (the 12 COCOeval numbers)", options, "DETS",
               "COCO results JSON, or with --decode the directory of raw model outputs",
               "ANNOTATIONS", "instances_*.json ground truth");
  coco->add_option("--decode", options->decode,
                   "decode raw outputs first: efficientdet (class_out = output 1, box_out = 2)");
  coco->add_option("--images", options->images,
                   "kiln prep coco's DIR.images.json (image ids, sizes, scales) for --decode");
  coco->add_option("--input-size", options->input_size, "model input H,W for the anchors")
      ->capture_default_str();
  coco->add_option("--detections-out", options->detections_out,
                   "where --decode writes the COCO results JSON (default: detections.json next "
                   "to the result)");
  coco->callback([options] { run_coco(*options); });
}

}  // namespace kiln::cli
