#include "kiln/core/checked_arithmetic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/error.h"

namespace kiln {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t kHuge = (std::int64_t{1} << 62) + 1;  // 4611686018427387905

/// Sets KILN_MAX_TENSOR_BYTES for one test and restores the previous value.
class ScopedLimit {
 public:
  explicit ScopedLimit(const char* value) {
    if (const char* old = std::getenv("KILN_MAX_TENSOR_BYTES")) previous_ = old;
    setenv("KILN_MAX_TENSOR_BYTES", value, 1);
  }
  ~ScopedLimit() {
    if (previous_) {
      setenv("KILN_MAX_TENSOR_BYTES", previous_->c_str(), 1);
    } else {
      unsetenv("KILN_MAX_TENSOR_BYTES");
    }
  }

 private:
  std::optional<std::string> previous_;
};

std::string user_error_of(auto&& body) {
  try {
    body();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUser);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(CheckedArithmetic, MultiplyAndAddGiveExactResults) {
  EXPECT_EQ(checked_multiply(3, -7, "x"), -21);
  EXPECT_EQ(checked_multiply(INT64_MAX, 1, "x"), INT64_MAX);
  EXPECT_EQ(checked_add(INT64_MAX - 1, 1, "x"), INT64_MAX);
  EXPECT_EQ(checked_add(INT64_MIN, 0, "x"), INT64_MIN);
}

TEST(CheckedArithmetic, OverflowIsAUserErrorNamingTheOperands) {
  EXPECT_EQ(user_error_of([] { checked_multiply(kHuge, 4, "input 'image'"); }),
            "input 'image': 4611686018427387905 x 4 overflows 64 bits");
  EXPECT_EQ(user_error_of([] { checked_add(INT64_MAX, 1, "pads"); }),
            "pads: 9223372036854775807 + 1 overflows 64 bits");
  EXPECT_THAT(user_error_of([] { checked_multiply(INT64_MIN, -1, "m"); }), HasSubstr("overflows"));
}

TEST(CheckedArithmetic, ElementCount) {
  const std::vector<std::int64_t> image{1, 3, 224, 224};
  EXPECT_EQ(checked_element_count(image, "x"), 150528);
  EXPECT_EQ(checked_element_count({}, "x"), 1);
  const std::vector<std::int64_t> with_zero{kHuge, 0, kHuge};
  EXPECT_EQ(checked_element_count(with_zero, "x"), 0);
}

TEST(CheckedArithmetic, ElementCountRejectsNegativeAndOverflowingShapes) {
  const std::vector<std::int64_t> negative{-1, 3, 224, 224};
  EXPECT_EQ(user_error_of([&] { checked_element_count(negative, "a.npy"); }),
            "a.npy: dimension -1 in [-1,3,224,224] is negative");
  const std::vector<std::int64_t> huge{kHuge, 4};
  EXPECT_EQ(user_error_of([&] { checked_element_count(huge, "Expand node 'e' output"); }),
            "Expand node 'e' output: the element count of shape [4611686018427387905,4] "
            "overflows 64 bits");
}

TEST(CheckedArithmetic, LimitComesFromTheEnvironment) {
  {
    ScopedLimit limit("1000");
    EXPECT_EQ(max_tensor_bytes(), 1000u);
  }
  {
    ScopedLimit limit("3M");
    EXPECT_EQ(max_tensor_bytes(), 3u << 20);
  }
  {
    ScopedLimit limit("2G");
    EXPECT_EQ(max_tensor_bytes(), std::size_t{2} << 30);
  }
}

TEST(CheckedArithmetic, DefaultLimitIsSomeButNotAllOfTheMachine) {
  unsetenv("KILN_MAX_TENSOR_BYTES");
  const std::size_t limit = max_tensor_bytes();
  EXPECT_GT(limit, 0u);
  EXPECT_LE(limit, std::size_t{64} << 30);
}

TEST(CheckedArithmetic, BadLimitsAreUserErrors) {
  for (const char* text : {"", "0", "-5", "12X", "1.5G", "99999999999999999999", "17179869184T"}) {
    ScopedLimit limit(text);
    EXPECT_THAT(user_error_of([] { max_tensor_bytes(); }), HasSubstr("KILN_MAX_TENSOR_BYTES"))
        << text;
  }
}

TEST(CheckedArithmetic, TensorBytes) {
  ScopedLimit limit("1M");
  const std::vector<std::int64_t> dims{2, 3};
  EXPECT_EQ(checked_tensor_bytes(dims, DType::kFloat32, "x"), 24u);
  EXPECT_EQ(checked_tensor_bytes(dims, DType::kInt64, "x"), 48u);
  const std::vector<std::int64_t> exactly{1 << 18};
  EXPECT_EQ(checked_tensor_bytes(exactly, DType::kFloat32, "x"), 1u << 20);
}

TEST(CheckedArithmetic, TensorOverTheLimitNamesShapeSizeAndLimit) {
  ScopedLimit limit("1G");
  const std::vector<std::int64_t> batch{1073741824, 4};
  EXPECT_EQ(user_error_of([&] { checked_tensor_bytes(batch, DType::kFloat32, "input 'x'"); }),
            "input 'x': a float32 tensor of shape [1073741824,4] needs 16.0 GiB, over the limit "
            "of 1.0 GiB on one tensor (set KILN_MAX_TENSOR_BYTES to raise it)");
  // More elements than fit in 64 bits once multiplied by the element size.
  const std::vector<std::int64_t> huge{kHuge};
  EXPECT_THAT(user_error_of([&] { checked_tensor_bytes(huge, DType::kInt64, "c"); }),
              HasSubstr("needs more than 16 EiB"));
}

TEST(CheckedArithmetic, FormatByteSize) {
  EXPECT_EQ(format_byte_size(512), "512 bytes");
  EXPECT_EQ(format_byte_size(3u << 19), "1.5 MiB");
  EXPECT_EQ(format_byte_size(std::size_t{12} << 30), "12.0 GiB");
}

}  // namespace
}  // namespace kiln
