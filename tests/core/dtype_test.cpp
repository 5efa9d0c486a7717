#include "kiln/core/dtype.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "kiln/core/error.h"

namespace kiln {
namespace {

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtype_size(DType::kFloat32), 4u);
  EXPECT_EQ(dtype_size(DType::kFloat16), 2u);
  EXPECT_EQ(dtype_size(DType::kInt64), 8u);
  EXPECT_EQ(dtype_size(DType::kBool), 1u);
  EXPECT_EQ(dtype_name(DType::kInt32), "int32");
  EXPECT_EQ(parse_dtype("float16"), DType::kFloat16);
  EXPECT_THROW(parse_dtype("float8"), Error);
}

TEST(Half, KnownBitPatterns) {
  // Values and their IEEE half encodings, as numpy gives them.
  struct Case {
    float value;
    std::uint16_t bits;
  } cases[] = {{0.f, 0x0000},
               {-0.f, 0x8000},
               {1.f, 0x3c00},
               {-2.f, 0xc000},
               {65504.f, 0x7bff},
               {0.5f, 0x3800},
               {6.1035156e-05f, 0x0400},
               {5.9604645e-08f, 0x0001} /* smallest subnormal */,
               {0.33325195f, 0x3555}};
  for (const Case& c : cases) {
    EXPECT_EQ(float_to_half(c.value), c.bits) << c.value;
    EXPECT_EQ(half_to_float(c.bits), c.value) << c.bits;
  }
}

TEST(Half, RoundsToNearestEvenAndSaturates) {
  // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties to even -> 1.
  EXPECT_EQ(float_to_half(1.f + std::ldexp(1.f, -11)), 0x3c00);
  // 1 + 3*2^-11 is halfway between 1+2^-10 (odd) and 1+2^-9 (even) -> 1+2^-9.
  EXPECT_EQ(float_to_half(1.f + 3 * std::ldexp(1.f, -11)), 0x3c02);
  EXPECT_EQ(float_to_half(65520.f), 0x7c00);  // rounds up to infinity
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::nanf("")))));
  EXPECT_EQ(float_to_half(1e-9f), 0x0000);  // underflows to zero
}

TEST(Half, EveryHalfRoundTrips) {
  for (std::uint32_t bits = 0; bits < 0x10000; ++bits) {
    const float f = half_to_float(static_cast<std::uint16_t>(bits));
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_half(f), bits) << std::hex << bits;
  }
}

}  // namespace
}  // namespace kiln
