// Bilinear align_corners weights and the fused upsample + argmax. PyTorch itself is the oracle
// in tests/eval/test_upsample_torch.py; here: hand-worked weights, copies, ties, consistency.

#include "kiln/eval/upsample_argmax.h"

#include <gtest/gtest.h>

#include <random>

namespace kiln::eval {
namespace {

TEST(AlignCornersAxis, EndsMapToEndsAndMiddleIsHalfway) {
  const LinearAxis axis = align_corners_axis(3, 5);  // positions 0, 0.5, 1, 1.5, 2
  EXPECT_EQ(axis.index0, (std::vector<std::int32_t>{0, 0, 1, 1, 2}));
  EXPECT_EQ(axis.index1, (std::vector<std::int32_t>{1, 1, 2, 2, 2}));
  EXPECT_EQ(axis.lambda1, (std::vector<float>{0, 0.5f, 0, 0.5f, 0}));
  EXPECT_EQ(axis.lambda0, (std::vector<float>{1, 0.5f, 1, 0.5f, 1}));
}

TEST(AlignCornersAxis, ExactPositionBeforeRounding) {
  // scale = float(64/1023); 1023 * scale is 63.99999994 exactly, 64.0 when rounded to float.
  // PyTorch takes the exact value: the last pixel blends rows 63 and 64.
  const LinearAxis axis = align_corners_axis(65, 1024);
  EXPECT_EQ(axis.index0.back(), 63);
  EXPECT_EQ(axis.index1.back(), 64);
  EXPECT_EQ(axis.lambda1.back(), 0.99999994f);
}

TEST(AlignCornersAxis, SameSizeCopies) {
  const LinearAxis axis = align_corners_axis(4, 4);
  EXPECT_EQ(axis.index0, axis.index1);
  EXPECT_EQ(axis.lambda1, (std::vector<float>(4, 0.f)));
}

TEST(UpsampleArgmax, TiesGoToTheFirstClass) {
  const std::vector<float> logits(3 * 2 * 2, 1.f);
  std::vector<std::uint8_t> labels(16, 9);
  upsample_argmax_align_corners(logits.data(), 3, 2, 2, 4, 4, labels.data());
  EXPECT_EQ(labels, std::vector<std::uint8_t>(16, 0));
}

TEST(UpsampleArgmax, AgreesWithArgmaxOfTheUpsampledLogits) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  const int C = 19, H = 13, W = 17, OH = 100, OW = 211;
  std::vector<float> logits(static_cast<std::size_t>(C) * H * W);
  for (float& v : logits) v = normal(rng);
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(OH) * OW);
  upsample_argmax_align_corners(logits.data(), C, H, W, OH, OW, labels.data());
  std::vector<std::uint8_t> portable(labels.size());
  upsample_argmax_align_corners(logits.data(), C, H, W, OH, OW, portable.data(), false);
  EXPECT_EQ(labels, portable);  // the AVX2 path and the portable path round alike
  const std::vector<float> up = upsample_align_corners(logits.data(), C, H, W, OH, OW);
  const std::size_t plane = static_cast<std::size_t>(OH) * OW;
  for (std::size_t p = 0; p < plane; ++p) {
    int best = 0;
    for (int c = 1; c < C; ++c) {
      if (up[c * plane + p] > up[best * plane + p]) best = c;
    }
    ASSERT_EQ(labels[p], best) << "pixel " << p;
  }
  // Corners are the input corners.
  for (int c = 0; c < C; ++c) {
    EXPECT_EQ(up[c * plane], logits[static_cast<std::size_t>(c) * H * W]);
    EXPECT_EQ(up[c * plane + plane - 1], logits[static_cast<std::size_t>(c + 1) * H * W - 1]);
  }
}

}  // namespace
}  // namespace kiln::eval
