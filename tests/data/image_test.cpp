// Decoding and encoding: round trips, header-only sizes, and errors for broken files.

#include "kiln/data/image.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "data/oversized_images.h"
#include "kiln/core/error.h"
#include "kiln/core/file_io.h"

namespace kiln::data {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kiln_image_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

Image gradient_image(int width, int height, int channels) {
  Image image = Image::blank(width, height, channels);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        image.row(y)[x * channels + c] = static_cast<std::uint8_t>((x * 7 + y * 3 + c * 50) % 256);
      }
    }
  }
  return image;
}

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUser) << e.what();
    return e.what();
  }
  return "(no error)";
}

TEST_F(ImageTest, PngRoundTripIsExactForRgbAndGray) {
  for (int channels : {1, 3}) {
    const Image image = gradient_image(37, 21, channels);
    const fs::path path = dir_ / "a.png";
    write_png(path, image);
    const Image unchanged = decode_image(path, ColorMode::kUnchanged);
    EXPECT_EQ(unchanged.channels, channels);
    EXPECT_EQ(unchanged.pixels, image.pixels);
    const Image rgb = decode_image(path);
    ASSERT_EQ(rgb.channels, 3);
    ASSERT_EQ(rgb.width, 37);
    ASSERT_EQ(rgb.height, 21);
    for (int y = 0; y < 21; ++y) {
      for (int x = 0; x < 37; ++x) {
        for (int c = 0; c < 3; ++c) {
          // Gray becomes R = G = B, as PIL's convert('RGB').
          EXPECT_EQ(rgb.row(y)[x * 3 + c], image.row(y)[x * channels + (channels == 3 ? c : 0)]);
        }
      }
    }
  }
}

TEST_F(ImageTest, JpegRoundTripIsClose) {
  Image image = Image::blank(64, 48, 3);  // smooth, as JPEG likes it
  for (int y = 0; y < 48; ++y) {
    for (int x = 0; x < 64; ++x) {
      for (int c = 0; c < 3; ++c)
        image.row(y)[x * 3 + c] = static_cast<std::uint8_t>(2 * x + y + 20 * c);
    }
  }
  const fs::path path = dir_ / "a.jpg";
  write_jpeg(path, image, 95);
  const Image decoded = decode_image(path);
  ASSERT_EQ(decoded.width, 64);
  ASSERT_EQ(decoded.height, 48);
  double total = 0;
  for (std::size_t i = 0; i < image.pixels.size(); ++i) {
    total += std::abs(int(decoded.pixels[i]) - int(image.pixels[i]));
  }
  EXPECT_LT(total / image.pixels.size(), 2.0);
}

TEST_F(ImageTest, GrayJpegDecodesToEqualChannels) {
  const fs::path path = dir_ / "gray.jpg";
  write_jpeg(path, gradient_image(20, 10, 1));
  EXPECT_EQ(decode_image(path, ColorMode::kUnchanged).channels, 1);
  const Image rgb = decode_image(path);
  ASSERT_EQ(rgb.channels, 3);
  for (std::size_t i = 0; i < rgb.pixels.size(); i += 3) {
    EXPECT_EQ(rgb.pixels[i], rgb.pixels[i + 1]);
    EXPECT_EQ(rgb.pixels[i], rgb.pixels[i + 2]);
  }
}

TEST_F(ImageTest, ContentDecidesTheFormatNotTheExtension) {
  const fs::path path = dir_ / "really_a_png.jpg";
  write_png(path, gradient_image(5, 4, 3));
  EXPECT_EQ(decode_image(path).width, 5);
  EXPECT_EQ(read_image_info(path).format, ImageInfo::Format::kPng);
}

TEST_F(ImageTest, InfoReadsOnlyTheHeader) {
  write_png(dir_ / "a.png", gradient_image(33, 17, 1));
  write_jpeg(dir_ / "b.jpg", gradient_image(45, 29, 3));
  const ImageInfo png = read_image_info(dir_ / "a.png");
  EXPECT_EQ(png.width, 33);
  EXPECT_EQ(png.height, 17);
  EXPECT_EQ(png.unchanged_channels, 1);
  const ImageInfo jpeg = read_image_info(dir_ / "b.jpg");
  EXPECT_EQ(jpeg.format, ImageInfo::Format::kJpeg);
  EXPECT_EQ(jpeg.width, 45);
  EXPECT_EQ(jpeg.height, 29);
  EXPECT_EQ(jpeg.unchanged_channels, 3);
}

TEST_F(ImageTest, BrokenFilesGiveUserErrorsNamingTheFile) {
  const fs::path empty = dir_ / "empty.jpg";
  write_file_atomically(empty, "");
  EXPECT_THAT(error_of([&] { decode_image(empty); }),
              AllOf(HasSubstr("empty.jpg"), HasSubstr("empty file")));
  EXPECT_THAT(error_of([&] { read_image_info(empty); }), HasSubstr("empty file"));

  const fs::path text = dir_ / "text.png";
  write_file_atomically(text, "not an image at all");
  EXPECT_THAT(error_of([&] { decode_image(text); }),
              AllOf(HasSubstr("text.png"), HasSubstr("not a JPEG or PNG")));

  const std::string jpeg = encode_jpeg(gradient_image(64, 64, 3));
  const std::string png = encode_png(gradient_image(64, 64, 3));
  for (std::size_t keep : {jpeg.size() / 2, std::size_t{200}, std::size_t{3}}) {
    const fs::path cut = dir_ / "cut.jpg";
    write_file_atomically(cut, jpeg.substr(0, keep));
    EXPECT_THAT(error_of([&] { decode_image(cut); }),
                AllOf(HasSubstr("cut.jpg"), HasSubstr("corrupt or truncated JPEG")))
        << keep;
  }
  for (std::size_t keep : {png.size() / 2, std::size_t{40}, std::size_t{8}}) {
    const fs::path cut = dir_ / "cut.png";
    write_file_atomically(cut, png.substr(0, keep));
    EXPECT_THAT(error_of([&] { decode_image(cut); }),
                AllOf(HasSubstr("cut.png"), HasSubstr("corrupt or truncated PNG")))
        << keep;
  }
  // A flipped byte in the middle of the compressed data: the CRC (PNG) catches it.
  std::string damaged = png;
  damaged[damaged.size() / 2] ^= 0x5A;
  const fs::path bad = dir_ / "bad.png";
  write_file_atomically(bad, damaged);
  EXPECT_THAT(error_of([&] { decode_image(bad); }), HasSubstr("bad.png"));

  EXPECT_THAT(error_of([&] { decode_image(dir_ / "missing.png"); }), HasSubstr("missing.png"));
}

TEST_F(ImageTest, DeclaredSizesOverTheLimitFailBeforeAllocating) {
  // A few hundred bytes each; decoding any of them would need gigabytes.
  const std::vector<std::pair<std::string, std::string>> files = {
      {"bomb.jpg", testing::jpeg_declaring(65500, 65500)},
      {"bomb40k.png", testing::png_declaring(40000, 40000)},
      {"bomb100k.png", testing::png_declaring(100000, 100000)},
  };
  for (const auto& [name, bytes] : files) {
    ASSERT_LT(bytes.size(), 1000u);
    const fs::path path = dir_ / name;
    write_file_atomically(path, bytes);
    EXPECT_THAT(error_of([&] { decode_image(path); }),
                AllOf(HasSubstr(name), HasSubstr("its header declares"),
                      HasSubstr("KILN_MAX_IMAGE_PIXELS")));
  }
  EXPECT_THAT(error_of([&] { decode_image(dir_ / "bomb40k.png"); }),
              HasSubstr("40000x40000 pixels (1600.0 megapixels)"));
}

TEST_F(ImageTest, PixelLimitComesFromTheEnvironment) {
  const fs::path path = dir_ / "small.png";
  write_png(path, gradient_image(20, 10, 3));
  setenv("KILN_MAX_IMAGE_PIXELS", "199", 1);
  EXPECT_THAT(error_of([&] { decode_image(path); }),
              HasSubstr("20x10 pixels (0.0 megapixels), over the limit of 199 pixels"));
  setenv("KILN_MAX_IMAGE_PIXELS", "200", 1);
  EXPECT_EQ(decode_image(path).width, 20);
  setenv("KILN_MAX_IMAGE_PIXELS", "lots", 1);
  EXPECT_THAT(error_of([&] { decode_image(path); }), HasSubstr("KILN_MAX_IMAGE_PIXELS='lots'"));
  unsetenv("KILN_MAX_IMAGE_PIXELS");
  EXPECT_EQ(max_image_pixels(), 178956970);
}

TEST_F(ImageTest, EncodersRefuseUnsupportedChannelCounts) {
  EXPECT_THAT(error_of([&] { encode_png(gradient_image(4, 4, 2)); }), HasSubstr("2 channels"));
  EXPECT_THAT(error_of([&] { encode_jpeg(gradient_image(4, 4, 4)); }), HasSubstr("4 channels"));
}

}  // namespace
}  // namespace kiln::data
