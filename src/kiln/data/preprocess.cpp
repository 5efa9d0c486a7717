// Recipe geometry: the order of operations each reference script applies, resize windows where
// a crop follows (same pixels, less work), and the super-resolution HR/LR pair.

#include "kiln/data/preprocess.h"

#include "kiln/core/error.h"
#include "kiln/data/transforms.h"

namespace kiln::data {

namespace {

Image apply_geometry(const Image& rgb, const InputRecipe& recipe, double* scale) {
  switch (recipe.geometry) {
    case Geometry::kResizeShorterCenterCrop: {
      int width = rgb.width;
      int height = rgb.height;
      if (recipe.resize_size > 0) {
        const auto size = shorter_side_size(rgb.width, rgb.height, recipe.resize_size);
        width = size[0];
        height = size[1];
      }
      const Rect box = center_crop_box(width, height, recipe.width, recipe.height);
      const bool inside =
          box.x >= 0 && box.y >= 0 && box.x + box.width <= width && box.y + box.height <= height;
      if (inside) return resize(rgb, width, height, recipe.interpolation, box);
      // The crop reaches outside the resized image: PIL's crop fills it with zeros.
      return crop(resize(rgb, width, height, recipe.interpolation), box);
    }
    case Geometry::kResizeExact:
      return resize(rgb, recipe.width, recipe.height, recipe.interpolation);
    case Geometry::kFitPadTopLeft:
    case Geometry::kFitPadCenter: {
      const FitSize fit = fit_within(rgb.width, rgb.height, recipe.width, recipe.height);
      if (fit.width <= 0 || fit.height <= 0) {
        throw_user_error("a {}x{} image is too thin to fit into {}x{}", rgb.width, rgb.height,
                         recipe.width, recipe.height);
      }
      *scale = 1.0 / fit.scale;
      const Image resized = resize(rgb, fit.width, fit.height, recipe.interpolation);
      const bool center = recipe.geometry == Geometry::kFitPadCenter;
      const int x = center ? (recipe.width - fit.width) / 2 : 0;
      const int y = center ? (recipe.height - fit.height) / 2 : 0;
      return pad(resized, recipe.width, recipe.height, x, y, recipe.fill);
    }
    case Geometry::kCenterCrop:
      return crop(rgb, center_crop_box(rgb.width, rgb.height, recipe.width, recipe.height));
  }
  throw_internal_error("unknown geometry");
}

}  // namespace

Preprocessed preprocess_image(const Image& rgb, const InputRecipe& recipe) {
  KILN_CHECK(rgb.channels == 3, "preprocess_image expects RGB, got {} channels", rgb.channels);
  Preprocessed out;
  Image image = apply_geometry(rgb, recipe, &out.scale);
  if (recipe.sr_scale > 0) {
    // RDN_preprocess.py: hr = image.resize((w // s * s, h // s * s), BICUBIC) (a copy when the
    // size is already a multiple), lr = hr.resize((w // s, h // s), BICUBIC).
    const int s = recipe.sr_scale;
    out.hr = resize(image, image.width / s * s, image.height / s * s, Interpolation::kBicubic);
    image = resize(out.hr, out.hr.width / s, out.hr.height / s, Interpolation::kBicubic);
  }
  if (recipe.bgr) reverse_channels(image);
  out.input = std::move(image);
  return out;
}

int input_width(const InputRecipe& recipe) {
  return recipe.sr_scale > 0 ? recipe.width / recipe.sr_scale : recipe.width;
}

int input_height(const InputRecipe& recipe) {
  return recipe.sr_scale > 0 ? recipe.height / recipe.sr_scale : recipe.height;
}

std::size_t sample_size_bytes(const InputRecipe& recipe) {
  return chw_size_bytes(3, input_height(recipe), input_width(recipe), recipe.dtype);
}

void validate_recipe(const InputRecipe& recipe) {
  if (recipe.width <= 0 || recipe.height <= 0) {
    throw_user_error("the model input size must be positive, got {}x{}", recipe.width,
                     recipe.height);
  }
  if (recipe.width > 65535 || recipe.height > 65535 || recipe.resize_size > 65535) {
    throw_user_error("sizes above 65535 pixels are not supported");
  }
  if (recipe.resize_size < 0) throw_user_error("--resize must not be negative");
  if (recipe.sr_scale < 0) throw_user_error("--scale must be positive");
  if (recipe.sr_scale > 0 &&
      (recipe.width / recipe.sr_scale == 0 || recipe.height / recipe.sr_scale == 0)) {
    throw_user_error("a {}x{} HR size is smaller than the scale {}", recipe.width, recipe.height,
                     recipe.sr_scale);
  }
  if (recipe.dtype != DType::kFloat32 && recipe.dtype != DType::kFloat16 &&
      recipe.dtype != DType::kUInt8) {
    throw_user_error("--dtype must be float32, float16 or uint8, not {}", dtype_name(recipe.dtype));
  }
  for (double s : recipe.normalization.std) {
    if (s == 0) throw_user_error("--std must not contain 0");
  }
}

}  // namespace kiln::data
