// PSNR/SSIM on hand-worked planes; skimage on real photos is the oracle in
// tests/eval/test_psnr_ssim_skimage.py.

#include "kiln/eval/psnr_ssim.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kiln/core/error.h"

namespace kiln::eval {
namespace {

Plane filled(int w, int h, double v) {
  return {w, h, std::vector<double>(static_cast<std::size_t>(w) * h, v)};
}

TEST(LumaWeights, RdnReferenceAndBt601Weights) {
  const std::uint8_t white[3] = {255, 255, 255};
  const std::uint8_t red[3] = {255, 0, 0};
  EXPECT_DOUBLE_EQ(luma_from_rgb8(white, 1, 1, LumaWeights::kBt601).values[0],
                   16 + (65.738 + 129.057 + 25.064) * 255 / 256);
  EXPECT_DOUBLE_EQ(luma_from_rgb8(red, 1, 1, LumaWeights::kRdnReference).values[0],
                   16. + (64.738 * 255) / 256.);
  // Model output in [0, 1], clamped after scaling: -0.5 -> 0, 2 -> 255.
  const float chw[3] = {2.f, -0.5f, -0.5f};
  EXPECT_DOUBLE_EQ(luma_from_unit_chw(chw, 1, 1, LumaWeights::kRdnReference).values[0],
                   luma_from_rgb8(red, 1, 1, LumaWeights::kRdnReference).values[0]);
}

TEST(ShavePlane, RemovesTheBorder) {
  Plane p{4, 3, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}};
  const Plane s = shave(p, 1);
  EXPECT_EQ(s.width, 2);
  EXPECT_EQ(s.height, 1);
  EXPECT_EQ(s.values, (std::vector<double>{5, 6}));
  EXPECT_EQ(shave(p, 0).values, p.values);
}

TEST(Psnr, KnownMseAndIdentical) {
  const Plane a = filled(8, 8, 100);
  Plane b = a;
  EXPECT_TRUE(std::isinf(psnr(a, b)));
  for (std::size_t i = 0; i < b.values.size(); i += 2) b.values[i] += 2;  // MSE = 2
  EXPECT_NEAR(psnr(a, b), 10 * std::log10(255.0 * 255.0 / 2), 1e-12);
}

TEST(Ssim, IdenticalIsOneAndNoiseLowersIt) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<double> u(16, 235);
  Plane a{40, 30, {}};
  for (int i = 0; i < 40 * 30; ++i) a.values.push_back(u(rng));
  EXPECT_NEAR(ssim(a, a), 1.0, 1e-12);
  Plane b = a;
  std::normal_distribution<double> noise(0, 30);
  for (double& v : b.values) v += noise(rng);
  const double s = ssim(a, b);
  EXPECT_LT(s, 0.99);
  EXPECT_GT(s, 0.5);
  EXPECT_NEAR(ssim(b, a), s, 1e-12);  // symmetric
  EXPECT_THROW(ssim(filled(10, 20, 1), filled(10, 20, 1)), Error);
}

TEST(Ssim, ConstantPlanesFollowTheFormula) {
  // Constant planes: variances 0, SSIM = (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1).
  const double c1 = (0.01 * 255) * (0.01 * 255);
  const double expected = (2 * 100.0 * 110 + c1) / (100.0 * 100 + 110.0 * 110 + c1);
  EXPECT_NEAR(ssim(filled(12, 12, 100), filled(12, 12, 110)), expected, 1e-12);
}

}  // namespace
}  // namespace kiln::eval
