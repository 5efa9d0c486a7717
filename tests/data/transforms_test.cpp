// Size rules, crops, padding, normalisation arithmetic and the CHW layout.

#include "kiln/data/transforms.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kiln/core/error.h"
#include "kiln/data/preprocess.h"
#include "kiln/data/presets.h"

namespace kiln::data {
namespace {

TEST(TransformsTest, CenterCropRoundsHalvesToEvenLikePython) {
  // round(58.5) == 58 and round(59.5) == 60 in Python.
  EXPECT_EQ(center_crop_box(341, 256, 224, 224).x, 58);
  EXPECT_EQ(center_crop_box(343, 256, 224, 224).x, 60);
  EXPECT_EQ(center_crop_box(341, 256, 224, 224).y, 16);
  EXPECT_EQ(center_crop_box(100, 100, 224, 224).x, -62);
}

TEST(TransformsTest, ShorterSideTruncatesTheLongerSide) {
  EXPECT_EQ(shorter_side_size(500, 375, 256), (std::array<int, 2>{341, 256}));  // 341.33
  EXPECT_EQ(shorter_side_size(375, 500, 248), (std::array<int, 2>{248, 330}));  // 330.67
  EXPECT_EQ(shorter_side_size(300, 300, 256), (std::array<int, 2>{256, 256}));
}

TEST(TransformsTest, FitWithinKeepsTheAspectRatio) {
  const FitSize fit = fit_within(640, 427, 512, 512);
  EXPECT_EQ(fit.width, 512);
  EXPECT_EQ(fit.height, 341);
  EXPECT_DOUBLE_EQ(1.0 / fit.scale, 1.25);
  // 282 * (228 / 282) is 227.99999999999997 in double: the references truncate it to 227.
  EXPECT_EQ(fit_within(282, 282, 228, 228).width, 227);
  EXPECT_EQ(fit_within(644, 400, 512, 512).width, 511);
}

TEST(TransformsTest, CropAndPadFillOutsideTheImage) {
  Image image = Image::blank(2, 2, 3);
  for (std::size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = 10 + i;
  const Image cropped = crop(image, Rect{-1, 0, 3, 1});
  EXPECT_EQ(cropped.pixels, (std::vector<std::uint8_t>{0, 0, 0, 10, 11, 12, 13, 14, 15}));
  const Image padded = pad(image, 3, 2, 1, 1, {7, 8, 9});
  EXPECT_EQ(padded.pixels, (std::vector<std::uint8_t>{7, 8, 9, 7, 8, 9, 7, 8, 9,  //
                                                      7, 8, 9, 10, 11, 12, 13, 14, 15}));
}

TEST(TransformsTest, NormalisationFollowsEachReferencesArithmetic) {
  const std::array<double, 3> unit_mean{0.485, 0.456, 0.406}, unit_std{0.229, 0.224, 0.225};
  const NormalizationTable unit =
      normalization_table({NormalizeArithmetic::kUnitFloat32, unit_mean, unit_std});
  for (int p : {0, 1, 128, 255}) {
    const float x = static_cast<float>(p) / 255.0f;
    EXPECT_EQ(unit[1][static_cast<std::size_t>(p)], (x - 0.456f) / 0.224f);
  }
  const NormalizationTable pixel64 = normalization_table(
      {NormalizeArithmetic::kPixelFloat64, {0.485 * 255, 0, 0}, {0.229 * 255, 1, 1}});
  EXPECT_EQ(pixel64[0][200], static_cast<float>((200.0 - 0.485 * 255) / (0.229 * 255)));
  const NormalizationTable rescaled =
      normalization_table({NormalizeArithmetic::kRescaledFloat32, {104.00698793, 0, 0}, {1, 1, 1}});
  EXPECT_EQ(rescaled[0][0], -104.00698793f);
  EXPECT_NEAR(rescaled[0][255], 255 - 104.00698793, 1e-4);
  for (NormalizeArithmetic a :
       {NormalizeArithmetic::kUnitFloat32, NormalizeArithmetic::kPixelFloat32,
        NormalizeArithmetic::kPixelFloat64, NormalizeArithmetic::kRescaledFloat32}) {
    EXPECT_EQ(parse_arithmetic(arithmetic_name(a)), a);
  }
}

TEST(TransformsTest, WriteChwPlanesChannels) {
  Image image = Image::blank(2, 1, 3);
  image.pixels = {1, 2, 3, 4, 5, 6};
  const NormalizationTable table =
      normalization_table({NormalizeArithmetic::kPixelFloat32, {0, 0, 0}, {1, 1, 1}});
  std::vector<std::byte> bytes(chw_size_bytes(3, 1, 2, DType::kFloat32));
  write_chw(image, table, DType::kFloat32, bytes);
  std::vector<float> values(6);
  std::memcpy(values.data(), bytes.data(), bytes.size());
  EXPECT_EQ(values, (std::vector<float>{1, 4, 2, 5, 3, 6}));

  std::vector<std::byte> raw(chw_size_bytes(3, 1, 2, DType::kUInt8));
  write_chw(image, table, DType::kUInt8, raw);
  EXPECT_EQ(std::to_integer<int>(raw[1]), 4);
  EXPECT_EQ(std::to_integer<int>(raw[2]), 2);

  std::vector<std::byte> half(chw_size_bytes(3, 1, 2, DType::kFloat16));
  write_chw(image, table, DType::kFloat16, half);
  std::uint16_t first = 0;
  std::memcpy(&first, half.data(), 2);
  EXPECT_EQ(first, float_to_half(1.0f));
}

TEST(TransformsTest, SuperResolutionRecipeMakesAnHrAndAnLrImage) {
  InputRecipe recipe = find_preset("rdn").recipe;
  Image photo = Image::blank(301, 211, 3);
  for (std::size_t i = 0; i < photo.pixels.size(); ++i) photo.pixels[i] = (i * 7) % 251;
  const Preprocessed out = preprocess_image(photo, recipe);
  EXPECT_EQ(out.hr.width, 228);
  EXPECT_EQ(out.hr.height, 228);
  EXPECT_EQ(out.input.width, 114);
  EXPECT_EQ(out.input.height, 114);
  EXPECT_EQ(sample_size_bytes(recipe), 3u * 114 * 114 * 4);
  // Fit 301x211 into 228: 228x159, centered, zero rows above and below.
  EXPECT_EQ(out.hr.row(0)[0], 0);
  EXPECT_EQ(out.hr.row(227)[227 * 3], 0);
}

TEST(TransformsTest, PresetsAreConsistent) {
  for (const Preset& preset : presets()) {
    EXPECT_NO_THROW(validate_recipe(preset.recipe)) << preset.name;
    EXPECT_EQ(&find_preset(preset.name), &preset);
  }
  EXPECT_EQ(default_preset(Task::kImagenet), nullptr);
  EXPECT_EQ(default_preset(Task::kCoco)->name, "efficientdet_d0");
  EXPECT_THROW(find_preset("alexnet"), Error);
  EXPECT_THROW(parse_task("kitti"), Error);
}

}  // namespace
}  // namespace kiln::data
