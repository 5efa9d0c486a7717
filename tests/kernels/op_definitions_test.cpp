// Every op kiln knows has shape inference and a reference kernel; the registry finds a kernel.

#include "kiln/kernels/op_definitions.h"

#include <gtest/gtest.h>

#include "testing/single_node.h"

namespace kiln::kernels {
namespace {

using ir::OpKind;
using testing::constant_input;
using testing::expect_node_error;
using testing::i64;
using testing::runtime_input;

constexpr std::int64_t kHuge = (std::int64_t{1} << 62) + 1;

TEST(OpDefinitions, EveryOpInTheTableIsDefined) {
  for (const ir::OpInfo& info : ir::kOpTable) {
    SCOPED_TRACE(std::string(info.name));
    EXPECT_NO_THROW({
      const OpDefinition& definition = op_definition(info.kind);
      EXPECT_NE(definition.infer, nullptr);
      EXPECT_NE(definition.reference, nullptr);
    });
  }
}

// Shape constants near INT64_MAX: the output's element count overflows, or its size is over the
// tensor limit; either way a user error naming the node, never a wrapped count.
TEST(OpDefinitions, HugeConstantShapesAreErrorsNamingTheNode) {
  const Tensor small = testing::f32({1, 1}, {1.f});
  expect_node_error(
      [&] {
        testing::SingleNodeGraph(OpKind::kExpand,
                                 {runtime_input(small), constant_input(i64({2}, {kHuge, 4}))});
      },
      "overflows 64 bits");
  expect_node_error(
      [&] {
        testing::SingleNodeGraph(OpKind::kTile,
                                 {runtime_input(small), constant_input(i64({2}, {kHuge, 4}))});
      },
      "overflows 64 bits");
  expect_node_error(
      [&] {
        testing::SingleNodeGraph(OpKind::kConstantOfShape, {constant_input(i64({2}, {kHuge, 4}))});
      },
      "overflows 64 bits");
  expect_node_error(
      [&] {
        testing::SingleNodeGraph(OpKind::kConstantOfShape,
                                 {constant_input(i64({2}, {std::int64_t{1} << 40, 4}))});
      },
      "over the limit");
  expect_node_error(
      [&] {
        testing::SingleNodeGraph(OpKind::kReshape,
                                 {runtime_input(small), constant_input(i64({2}, {kHuge, 4}))});
      },
      "overflows 64 bits");
}

TEST(OpDefinitions, OutputsOverTheTensorLimitAreErrors) {
  // Each [2^20, 2^12] float32 output is 16 GiB, more than the default limit on any machine
  // whose physical memory is under 32 GiB; the environment sets the limit to be sure.
  setenv("KILN_MAX_TENSOR_BYTES", "1G", 1);
  expect_node_error(
      [&] {
        testing::SingleNodeGraph(OpKind::kExpand, {runtime_input(testing::f32({1, 1}, {1.f})),
                                                   constant_input(i64({2}, {1 << 20, 4096}))});
      },
      "needs 16.0 GiB, over the limit of 1.0 GiB");
  unsetenv("KILN_MAX_TENSOR_BYTES");
}

}  // namespace
}  // namespace kiln::kernels
