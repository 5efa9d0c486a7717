// Reference kernel of Cast between every pair of kiln dtypes.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "kiln/core/error.h"
#include "testing/single_node.h"

namespace kiln {
namespace {

using ir::OpKind;
using kiln::testing::expect_tensor_near;
using kiln::testing::make_tensor;
using kiln::testing::run_reference;
using kiln::testing::runtime_input;
using ::testing::HasSubstr;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

Tensor cast(const Tensor& x, std::string_view to) {
  return run_reference(OpKind::kCast, {runtime_input(x)}, {{"to", std::string(to)}})[0];
}

Tensor half_tensor(std::vector<std::uint16_t> bits) {
  Tensor t(DType::kFloat16, Shape{static_cast<std::int64_t>(bits.size())});
  std::copy(bits.begin(), bits.end(), static_cast<std::uint16_t*>(t.raw()));
  return t;
}

std::vector<std::uint16_t> half_bits(const Tensor& t) {
  EXPECT_EQ(t.dtype(), DType::kFloat16);
  const auto* bits = static_cast<const std::uint16_t*>(t.raw());
  return {bits, bits + t.numel()};
}

TEST(ElementwiseCastTest, FloatToIntegersTruncatesTowardZero) {
  const Tensor x = make_tensor<float>({6}, {-2.7f, -0.5f, 0.f, 0.9f, 2.5f, 1e3f});
  expect_tensor_near(cast(x, "int64"), make_tensor<std::int64_t>({6}, {-2, 0, 0, 0, 2, 1000}));
  expect_tensor_near(cast(x, "int32"), make_tensor<std::int32_t>({6}, {-2, 0, 0, 0, 2, 1000}));
  // Out of range saturates and NaN gives 0 (C++ leaves both undefined; kiln defines them).
  const Tensor wild = make_tensor<float>({5}, {kNaN, kInf, -kInf, 300.f, -129.f});
  expect_tensor_near(cast(wild, "int8"), make_tensor<std::int8_t>({5}, {0, 127, -128, 127, -128}));
  expect_tensor_near(cast(wild, "uint8"), make_tensor<std::uint8_t>({5}, {0, 255, 0, 255, 0}));
  expect_tensor_near(
      cast(wild, "int64"),
      make_tensor<std::int64_t>({5}, {0, std::numeric_limits<std::int64_t>::max(),
                                      std::numeric_limits<std::int64_t>::min(), 300, -129}));
  expect_tensor_near(
      cast(make_tensor<double>({2}, {-3.99, 1e10}), "int32"),
      make_tensor<std::int32_t>({2}, {-3, std::numeric_limits<std::int32_t>::max()}));
}

TEST(ElementwiseCastTest, BoolAndIntegers) {
  expect_tensor_near(cast(make_tensor<float>({4}, {0.f, -0.f, 0.1f, kNaN}), "bool"),
                     make_tensor<bool>({4}, {false, false, true, true}));
  expect_tensor_near(cast(make_tensor<bool>({2}, {true, false}), "float32"),
                     make_tensor<float>({2}, {1.f, 0.f}));
  expect_tensor_near(cast(make_tensor<bool>({2}, {true, false}), "int64"),
                     make_tensor<std::int64_t>({2}, {1, 0}));
  expect_tensor_near(cast(make_tensor<std::int64_t>({3}, {0, 5, -1}), "bool"),
                     make_tensor<bool>({3}, {false, true, true}));
  // Integer narrowing wraps (two's complement).
  expect_tensor_near(cast(make_tensor<std::int64_t>({3}, {(1ll << 32) + 5, -1, 300}), "int32"),
                     make_tensor<std::int32_t>({3}, {5, -1, 300}));
  expect_tensor_near(cast(make_tensor<std::int32_t>({2}, {300, -1}), "uint8"),
                     make_tensor<std::uint8_t>({2}, {44, 255}));
  expect_tensor_near(cast(make_tensor<std::uint8_t>({2}, {200, 7}), "int8"),
                     make_tensor<std::int8_t>({2}, {-56, 7}));
  expect_tensor_near(cast(make_tensor<std::int64_t>({2}, {-3, 1ll << 40}), "float32"),
                     make_tensor<float>({2}, {-3.f, 1099511627776.f}));
}

TEST(ElementwiseCastTest, FloatWidths) {
  const Tensor doubles = cast(make_tensor<float>({2}, {0.1f, -3.5f}), "float64");
  ASSERT_EQ(doubles.dtype(), DType::kFloat64);
  EXPECT_EQ(doubles.data<double>()[0], static_cast<double>(0.1f));
  EXPECT_EQ(doubles.data<double>()[1], -3.5);
  expect_tensor_near(cast(make_tensor<double>({2}, {0.1, 1e300}), "float32"),
                     make_tensor<float>({2}, {0.1f, kInf}));
  const Tensor same = cast(make_tensor<float>({2}, {1.5f, kNaN}), "float32");
  EXPECT_EQ(same.data<float>()[0], 1.5f);
  EXPECT_TRUE(std::isnan(same.data<float>()[1]));
}

TEST(ElementwiseCastTest, Float16KnownBitPatterns) {
  // 1, -2, 65504 (largest), 0.1 (rounded), 2^-24 (smallest subnormal), 2^-14 (smallest normal),
  // -0, inf, 65520 (rounds to inf), 1 + 2^-11 (a tie, rounds to even 1.0), 1 + 3 * 2^-11 (a tie,
  // rounds up to even).
  const Tensor x = make_tensor<float>(
      {11}, {1.f, -2.f, 65504.f, 0.1f, std::ldexp(1.f, -24), std::ldexp(1.f, -14), -0.f, kInf,
             65520.f, 1.f + std::ldexp(1.f, -11), 1.f + 3 * std::ldexp(1.f, -11)});
  const Tensor half = cast(x, "float16");
  EXPECT_EQ(half_bits(half),
            (std::vector<std::uint16_t>{0x3c00, 0xc000, 0x7bff, 0x2e66, 0x0001, 0x0400, 0x8000,
                                        0x7c00, 0x7c00, 0x3c00, 0x3c02}));
  const Tensor back = cast(half, "float32");
  const Tensor expected = make_tensor<float>(
      {11}, {1.f, -2.f, 65504.f, 0.0999755859375f, std::ldexp(1.f, -24), std::ldexp(1.f, -14), -0.f,
             kInf, kInf, 1.f, 1.f + std::ldexp(1.f, -9)});
  for (std::int64_t i = 0; i < 11; ++i) {
    EXPECT_EQ(std::bit_cast<std::uint32_t>(back.data<float>()[i]),
              std::bit_cast<std::uint32_t>(expected.data<float>()[i]))
        << "element " << i;
  }
  // Every finite half survives half -> float32 -> half unchanged.
  std::vector<std::uint16_t> all;
  for (std::uint32_t bits = 0; bits < 0x10000; ++bits) {
    if ((bits & 0x7c00) != 0x7c00) all.push_back(static_cast<std::uint16_t>(bits));
  }
  EXPECT_EQ(half_bits(cast(cast(half_tensor(all), "float32"), "float16")), all);
  // NaN stays NaN; half to integers and bool go through float.
  EXPECT_TRUE(std::isnan(cast(half_tensor({0x7e00}), "float32").data<float>()[0]));
  expect_tensor_near(cast(half_tensor({0xc100, 0x3c00, 0x0000}), "int64"),
                     make_tensor<std::int64_t>({3}, {-2, 1, 0}));
  expect_tensor_near(cast(half_tensor({0x8000, 0x0001}), "bool"),
                     make_tensor<bool>({2}, {false, true}));
  EXPECT_EQ(half_bits(cast(make_tensor<std::int32_t>({2}, {3, -70000}), "float16")),
            (std::vector<std::uint16_t>{0x4200, 0xfc00}));
}

TEST(ElementwiseCastTest, Errors) {
  try {
    cast(make_tensor<float>({1}, {1.f}), "complex64");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUser);
    EXPECT_THAT(e.what(), HasSubstr("node 'node_under_test' (Cast): attribute to"));
    EXPECT_THAT(e.what(), HasSubstr("complex64"));
  }
  try {
    run_reference(OpKind::kCast, {runtime_input(make_tensor<float>({1}, {1.f}))}, {});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("node 'node_under_test' (Cast): required attribute 'to'"));
  }
}

}  // namespace
}  // namespace kiln
