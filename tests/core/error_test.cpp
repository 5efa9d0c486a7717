#include "kiln/core/error.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(Error, ContextChainReadsOuterToInner) {
  try {
    with_context([] { return std::string("while importing 'm.onnx'"); },
                 [] {
                   with_context([] { return std::string("node 'conv1' (Conv)"); },
                                [] { throw_user_error("kernel_shape has {} dims", 3); });
                 });
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "while importing 'm.onnx': node 'conv1' (Conv): kernel_shape has 3 dims");
    EXPECT_EQ(e.kind(), ErrorKind::kUser);
    EXPECT_EQ(e.message(), "kernel_shape has 3 dims");
  }
}

TEST(Error, ForeignExceptionsBecomeInternalErrorsWithContext) {
  try {
    with_context([] { return std::string("step"); },
                 [] { throw std::runtime_error("library failure"); });
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal);
    EXPECT_EQ(std::string(e.what()), "step: library failure");
  }
}

TEST(Error, CheckThrowsInternal) {
  EXPECT_THROW(KILN_CHECK(1 + 1 == 3, "arithmetic is {}", "broken"), Error);
  EXPECT_NO_THROW(KILN_CHECK(true, "never"));
}

}  // namespace
}  // namespace kiln
