// The seed models' preprocessing recipes. Each entry names the script it reproduces; the details
// (filter, rounding, constants, arithmetic) were read from those scripts, not from papers.

#include "kiln/data/presets.h"

#include <fmt/format.h>

#include "kiln/core/error.h"

namespace kiln::data {

std::string_view task_name(Task task) {
  switch (task) {
    case Task::kImagenet:
      return "imagenet";
    case Task::kSr:
      return "sr";
    case Task::kCityscapes:
      return "cityscapes";
    case Task::kCoco:
      return "coco";
  }
  return "?";
}

Task parse_task(std::string_view text) {
  for (Task task : {Task::kImagenet, Task::kSr, Task::kCityscapes, Task::kCoco}) {
    if (text == task_name(task)) return task;
  }
  throw_user_error("unknown task '{}' (expected imagenet, sr, cityscapes or coco)", text);
}

std::string_view geometry_name(Geometry geometry) {
  switch (geometry) {
    case Geometry::kResizeShorterCenterCrop:
      return "resize-shorter-center-crop";
    case Geometry::kResizeExact:
      return "resize";
    case Geometry::kFitPadTopLeft:
      return "fit-pad-top-left";
    case Geometry::kFitPadCenter:
      return "fit-pad-center";
    case Geometry::kCenterCrop:
      return "center-crop";
  }
  return "?";
}

namespace {

constexpr std::array<double, 3> kImagenetMean{0.485, 0.456, 0.406};
constexpr std::array<double, 3> kImagenetStd{0.229, 0.224, 0.225};
// Python's [x * 255 for x in mean]: double products, what timm/effdet scripts subtract.
constexpr std::array<double, 3> kImagenetMeanPixels{0.485 * 255, 0.456 * 255, 0.406 * 255};
constexpr std::array<double, 3> kImagenetStdPixels{0.229 * 255, 0.224 * 255, 0.225 * 255};

const Preset kPresets[] = {
    // ACL_PyTorch/contrib/cv/classfication/DPN131/imagenet_torch_preprocess.py, 'dpn131':
    // PIL bilinear shorter side 256 (long side truncated), center crop 224 (Python round),
    // numpy float32 x / 255, - mean, / std. The script rounds Cadene pretrainedmodels' DPN
    // constants (mean [124, 117, 104] / 255, std 1 / (0.0167 * 255) = 0.23482) to three
    // decimals; the guide's accuracy was measured with these, so they are what we use.
    {"dpn131",
     Task::kImagenet,
     "DPN-131: PIL bilinear 256, center crop 224, mean (0.486, 0.459, 0.408), std 0.235 "
     "(imagenet_torch_preprocess.py)",
     {.geometry = Geometry::kResizeShorterCenterCrop,
      .resize_size = 256,
      .width = 224,
      .height = 224,
      .interpolation = Interpolation::kBilinear,
      .normalization = {NormalizeArithmetic::kUnitFloat32,
                        {0.486, 0.459, 0.408},
                        {0.235, 0.235, 0.235}}}},
    // ACL_PyTorch/contrib/cv/classfication/LV-Vit/LV_Vit_preprocess.py: timm
    // transforms_imagenet_eval((224, 224), crop_pct=0.9, bicubic) = Resize(floor(224 / 0.9) =
    // 248, BICUBIC) + CenterCrop(224) + ToNumpy (uint8), then (img - mean * 255) / (std * 255)
    // with a float64 numpy array, cast to float32.
    {"lvvit",
     Task::kImagenet,
     "LV-ViT: PIL bicubic 248 (crop_pct 0.9), center crop 224, ImageNet mean/std in float64 "
     "(LV_Vit_preprocess.py)",
     {.geometry = Geometry::kResizeShorterCenterCrop,
      .resize_size = 248,
      .width = 224,
      .height = 224,
      .interpolation = Interpolation::kBicubic,
      .normalization = {NormalizeArithmetic::kPixelFloat64, kImagenetMeanPixels,
                        kImagenetStdPixels}}},
    // torchvision's classic evaluation transform: Resize(256) (bilinear), CenterCrop(224),
    // ToTensor, Normalize(ImageNet mean, std), all float32.
    {"resnet",
     Task::kImagenet,
     "torchvision default: PIL bilinear 256, center crop 224, ToTensor + Normalize(ImageNet)",
     {.geometry = Geometry::kResizeShorterCenterCrop,
      .resize_size = 256,
      .width = 224,
      .height = 224,
      .interpolation = Interpolation::kBilinear,
      .normalization = {NormalizeArithmetic::kUnitFloat32, kImagenetMean, kImagenetStd}}},
    // ACL_PyTorch/contrib/cv/super_resolution/RDN/RDN_preprocess.py: mmcv.imresize (cv2
    // INTER_LINEAR) to fit 228x228 (sides floor(side * min(228 / w, 228 / h))), centered
    // zero padding (mmcv.impad), PIL bicubic to a multiple of 2 (a no-op at 228), PIL bicubic
    // /2 -> 114x114 LR input, float32 / 255. The script reads with cv2 (BGR) and hands the
    // array to PIL as RGB, so its tensors are in BGR order; kiln keeps RGB, the order RDN was
    // trained in (every step is per channel, so the values are the same, channels reversed).
    {"rdn",
     Task::kSr,
     "RDN x2: OpenCV bilinear fit into 228x228, centered zero padding, PIL bicubic /2 -> 114, "
     "RGB / 255 (RDN_preprocess.py)",
     {.geometry = Geometry::kFitPadCenter,
      .width = 228,
      .height = 228,
      .interpolation = Interpolation::kCvLinear,
      .normalization = {NormalizeArithmetic::kUnitFloat32, {0, 0, 0}, {1, 1, 1}},
      .sr_scale = 2}},
    // What the RDN guide's text describes ("center crop 228x228"): a center crop of the HR
    // image instead of the script's fit-and-pad; the rest as "rdn".
    {"rdn_crop",
     Task::kSr,
     "RDN x2: center crop 228x228 (zeros outside small images), PIL bicubic /2 -> 114, RGB / "
     "255",
     {.geometry = Geometry::kCenterCrop,
      .width = 228,
      .height = 228,
      .interpolation = Interpolation::kBicubic,
      .normalization = {NormalizeArithmetic::kUnitFloat32, {0, 0, 0}, {1, 1, 1}},
      .sr_scale = 2}},
    // ACL_PyTorch/contrib/cv/segmentation/IntraDA/intrada_preprocess.py: torchvision
    // Resize((512, 1024), BICUBIC) on PIL, ToTensor, *= 255, flip RGB -> BGR, -= the Caffe
    // mean (104.00698793, 116.66876762, 122.67891434) as float32, no std (the ADVENT/IntraDA
    // Cityscapes loader's IMG_MEAN, BGR).
    {"intrada",
     Task::kCityscapes,
     "IntraDA DeepLab-v2: PIL bicubic 1024x512, BGR, minus Caffe mean, no std "
     "(intrada_preprocess.py)",
     {.geometry = Geometry::kResizeExact,
      .width = 1024,
      .height = 512,
      .interpolation = Interpolation::kBicubic,
      .bgr = true,
      .normalization = {NormalizeArithmetic::kRescaledFloat32,
                        {104.00698793, 116.66876762, 122.67891434},
                        {1, 1, 1}}}},
    // ACL_PyTorch/contrib/cv/detection/EfficientDetD0/preprocess.py: effdet
    // transforms_coco_eval = ResizePad(512, bilinear, fill = round(255 * mean) = (124, 116,
    // 104)) pasted at the top left, then PrefetchLoader's float32 (x - mean * 255) / (std *
    // 255).
    {"efficientdet_d0",
     Task::kCoco,
     "EfficientDet-D0: PIL bilinear fit into 512x512, top-left on (124, 116, 104), ImageNet "
     "mean/std in pixels (effdet ResizePad + PrefetchLoader)",
     {.geometry = Geometry::kFitPadTopLeft,
      .width = 512,
      .height = 512,
      .interpolation = Interpolation::kBilinear,
      .fill = {124, 116, 104},
      .normalization = {NormalizeArithmetic::kPixelFloat32, kImagenetMeanPixels,
                        kImagenetStdPixels}}},
};

}  // namespace

std::span<const Preset> presets() {
  return kPresets;
}

const Preset& find_preset(std::string_view name) {
  for (const Preset& preset : kPresets) {
    if (preset.name == name) return preset;
  }
  std::vector<std::string_view> names;
  for (const Preset& preset : kPresets) names.push_back(preset.name);
  throw_user_error("unknown preset '{}' (known: {})", name, fmt::join(names, ", "));
}

const Preset* default_preset(Task task) {
  switch (task) {
    case Task::kImagenet:
      return nullptr;
    case Task::kSr:
      return &find_preset("rdn");
    case Task::kCityscapes:
      return &find_preset("intrada");
    case Task::kCoco:
      return &find_preset("efficientdet_d0");
  }
  return nullptr;
}

std::string describe_recipe(const InputRecipe& recipe) {
  std::string text =
      fmt::format("{} {}x{}", geometry_name(recipe.geometry), recipe.width, recipe.height);
  if (recipe.geometry == Geometry::kResizeShorterCenterCrop && recipe.resize_size > 0) {
    text += fmt::format(" (shorter side {})", recipe.resize_size);
  }
  if (recipe.geometry != Geometry::kCenterCrop) {
    text += fmt::format(", {}", interpolation_name(recipe.interpolation));
  }
  if (recipe.geometry == Geometry::kFitPadTopLeft || recipe.geometry == Geometry::kFitPadCenter) {
    text += fmt::format(", fill ({})", fmt::join(recipe.fill, ", "));
  }
  if (recipe.sr_scale > 0) text += fmt::format(", LR = PIL bicubic /{}", recipe.sr_scale);
  // 12 significant digits: every constant of the presets, without binary noise (57.12, not
  // 57.120000000000005).
  text += fmt::format(", {}, mean ({:.12g}), std ({:.12g}) {}, {}", recipe.bgr ? "BGR" : "RGB",
                      fmt::join(recipe.normalization.mean, ", "),
                      fmt::join(recipe.normalization.std, ", "),
                      arithmetic_name(recipe.normalization.arithmetic), dtype_name(recipe.dtype));
  return text;
}

}  // namespace kiln::data
