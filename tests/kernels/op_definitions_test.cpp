// Every op kiln knows has shape inference and a reference kernel; the registry finds a kernel.

#include "kiln/kernels/op_definitions.h"

#include <gtest/gtest.h>

namespace kiln::kernels {
namespace {

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

}  // namespace
}  // namespace kiln::kernels
