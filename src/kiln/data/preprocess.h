// One image through a recipe: the geometry (resize, crop, pad), the super-resolution LR step,
// the channel order and the tensor bytes. `kiln prep` runs this per sample; tests call it too.
#pragma once

#include <cstddef>
#include <span>

#include "kiln/data/image.h"
#include "kiln/data/presets.h"

namespace kiln::data {

/// What preprocessing one image yields besides the tensor.
struct Preprocessed {
  Image input;       ///< the model input image (HWC, the recipe's channel order)
  Image hr;          ///< super-resolution: the HR image the input was shrunk from (RGB)
  double scale = 1;  ///< original-image pixels per model-input pixel (fit geometries)
};

/// Applies the recipe's geometry (and, for sr_scale > 0, the LR step) to a decoded RGB image.
Preprocessed preprocess_image(const Image& rgb, const InputRecipe& recipe);

/// The model input's width and height (for super-resolution: the LR size).
int input_width(const InputRecipe& recipe);
int input_height(const InputRecipe& recipe);
/// Bytes of one prepared sample (3 x input_height x input_width of the recipe's dtype).
std::size_t sample_size_bytes(const InputRecipe& recipe);

/// Checks a recipe built from user options; a user error says what is inconsistent.
void validate_recipe(const InputRecipe& recipe);

}  // namespace kiln::data
