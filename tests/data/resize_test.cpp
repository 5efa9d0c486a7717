// Resizing: values PIL 9.4 gives for a small row (kept here so the C++ tests catch a change
// without Python), and properties every filter must have.

#include "kiln/data/resize.h"

#include <gtest/gtest.h>

#include <vector>

#include "kiln/core/error.h"
#include "kiln/data/transforms.h"

namespace kiln::data {
namespace {

Image row_image(const std::vector<std::uint8_t>& values) {
  Image image = Image::blank(static_cast<int>(values.size()), 1, 1);
  image.pixels = values;
  return image;
}

Image textured(int width, int height, int channels) {
  Image image = Image::blank(width, height, channels);
  for (std::size_t i = 0; i < image.pixels.size(); ++i) {
    image.pixels[i] = static_cast<std::uint8_t>((i * 2654435761u >> 13) % 256);
  }
  return image;
}

constexpr Interpolation kAll[] = {Interpolation::kNearest, Interpolation::kBilinear,
                                  Interpolation::kBicubic, Interpolation::kCvLinear,
                                  Interpolation::kCvCubic};

TEST(ResizeTest, MatchesPillowOnASmallRow) {
  // PIL: Image.fromarray(np.array([[0, 100, 200, 50, 255, 30, 77]], np.uint8), 'L')
  //          .resize((w, 1), filter)
  const Image row = row_image({0, 100, 200, 50, 255, 30, 77});
  struct Case {
    Interpolation interpolation;
    int width;
    std::vector<std::uint8_t> expected;
  };
  const Case cases[] = {
      {Interpolation::kNearest, 3, {100, 50, 30}},
      {Interpolation::kNearest, 11, {0, 0, 100, 200, 200, 50, 255, 255, 30, 77, 77}},
      {Interpolation::kBilinear, 3, {86, 135, 95}},
      {Interpolation::kBilinear, 5, {33, 156, 115, 155, 61}},
      {Interpolation::kBilinear, 11, {0, 45, 109, 173, 145, 50, 180, 194, 50, 56, 77}},
      {Interpolation::kBicubic, 3, {78, 150, 90}},
      {Interpolation::kBicubic, 5, {24, 160, 117, 157, 51}},
      {Interpolation::kBicubic, 11, {0, 36, 110, 191, 149, 50, 197, 217, 42, 46, 80}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(resize(row, c.width, 1, c.interpolation).pixels, c.expected)
        << interpolation_name(c.interpolation) << " to " << c.width;
  }
}

TEST(ResizeTest, SameSizeIsACopy) {
  const Image image = textured(13, 9, 3);
  for (Interpolation interpolation : kAll) {
    EXPECT_EQ(resize(image, 13, 9, interpolation).pixels, image.pixels);
  }
}

TEST(ResizeTest, ConstantImagesStayConstant) {
  Image flat = Image::blank(31, 17, 3);
  for (std::size_t i = 0; i < flat.pixels.size(); ++i) flat.pixels[i] = 100 + i % 3;
  for (Interpolation interpolation : kAll) {
    for (auto [w, h] : {std::pair{7, 5}, std::pair{64, 40}, std::pair{15, 34}, std::pair{62, 34}}) {
      const Image out = resize(flat, w, h, interpolation);
      ASSERT_EQ(out.width, w);
      ASSERT_EQ(out.height, h);
      for (std::size_t i = 0; i < out.pixels.size(); ++i) {
        ASSERT_EQ(out.pixels[i], 100 + i % 3) << interpolation_name(interpolation);
      }
    }
  }
}

TEST(ResizeTest, AWindowEqualsCroppingTheFullResult) {
  for (int channels : {1, 3}) {
    const Image image = textured(57, 43, channels);
    for (Interpolation interpolation : kAll) {
      for (auto [w, h] : {std::pair{30, 20}, std::pair{100, 81}, std::pair{57, 30},
                          std::pair{20, 43}, std::pair{28, 21}}) {
        const Image full = resize(image, w, h, interpolation);
        const Rect window{w / 5, h / 4, w / 2, h / 2};
        EXPECT_EQ(resize(image, w, h, interpolation, window).pixels, crop(full, window).pixels)
            << interpolation_name(interpolation) << " " << w << "x" << h;
      }
    }
  }
}

TEST(ResizeTest, OpenCvExactHalvingAveragesBlocks) {
  Image image = Image::blank(4, 2, 1);
  image.pixels = {10, 20, 30, 41, 50, 60, 70, 80};
  // (10 + 20 + 50 + 60 + 2) / 4 = 35, (30 + 41 + 70 + 80 + 2) / 4 = 55
  EXPECT_EQ(resize(image, 2, 1, Interpolation::kCvLinear).pixels,
            (std::vector<std::uint8_t>{35, 55}));
}

TEST(ResizeTest, NamesRoundTripAndUnknownNamesAreUserErrors) {
  for (Interpolation interpolation : kAll) {
    EXPECT_EQ(parse_interpolation(interpolation_name(interpolation)), interpolation);
  }
  EXPECT_THROW(parse_interpolation("lanczos"), Error);
  EXPECT_THROW(resize(textured(4, 4, 3), 0, 3, Interpolation::kBilinear), Error);
}

}  // namespace
}  // namespace kiln::data
