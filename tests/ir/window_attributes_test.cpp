#include "kiln/ir/window_attributes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kiln/core/error.h"

namespace kiln::ir {
namespace {

std::string error_of(std::string_view attribute, std::vector<std::int64_t> values) {
  try {
    check_window_attribute("node 'c' (Conv)", attribute, values);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUser);
    return e.what();
  }
  return "(no error)";
}

TEST(WindowAttributes, StridesDilationsAndKernelsArePositivePadsNonNegative) {
  EXPECT_EQ(error_of("strides", {0, 0}),
            "node 'c' (Conv): attribute 'strides' = [0,0] has a value below 1");
  EXPECT_EQ(error_of("dilations", {1, -3}),
            "node 'c' (Conv): attribute 'dilations' = [1,-3] has a value below 1");
  EXPECT_EQ(error_of("kernel_shape", {0}),
            "node 'c' (Conv): attribute 'kernel_shape' = [0] has a value below 1");
  EXPECT_EQ(error_of("pads", {0, 0, -1, 0}),
            "node 'c' (Conv): attribute 'pads' = [0,0,-1,0] has a negative value");
  EXPECT_EQ(error_of("output_padding", {-1}),
            "node 'c' (Conv): attribute 'output_padding' = [-1] has a negative value");
  EXPECT_EQ(error_of("strides", {1, INT64_MAX}), "(no error)");
  EXPECT_EQ(error_of("pads", {0, 0, 0, 0}), "(no error)");
  EXPECT_EQ(error_of("group", {0}), "(no error)");  // not a window attribute
}

TEST(WindowAttributes, TheRuleCoversTheSlidingWindowOps) {
  for (const char* op : {"Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool"}) {
    EXPECT_TRUE(has_window_attributes(op)) << op;
  }
  EXPECT_FALSE(has_window_attributes("Relu"));
  EXPECT_EQ(window_attribute_minimum("strides"), 1);
  EXPECT_EQ(window_attribute_minimum("pads"), 0);
  EXPECT_EQ(window_attribute_minimum("axis"), std::nullopt);
}

}  // namespace
}  // namespace kiln::ir
