#pragma once

// Helpers for the oneDNN kernel tests: run an optimized factory and the reference kernel on the
// same one-node graph and compare.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/reference/heavy_test_helpers.h"
#include "kiln/kernels/cpu/onednn_kernels.h"
#include "kiln/kernels/registry.h"

namespace kiln::testing {

struct FactoryRun {
  std::vector<Tensor> outputs;
  std::string implementation;
  std::string why_not;  ///< set when the factory declined
};

/// Creates a kernel for the graph's node with `factory` and runs it on `inputs` (declines are
/// reported, not failures).
inline FactoryRun run_factory(SingleNodeGraph& graph, const std::vector<NodeInput>& inputs,
                              kernels::KernelFactory factory) {
  FactoryRun result;
  auto kernel = factory(graph.node(), kernels::KernelOptions{}, result.why_not);
  if (!kernel) return result;
  result.implementation = kernel->implementation();
  std::vector<Tensor> ins;
  for (const NodeInput& in : inputs) ins.push_back(in.data);
  for (ir::Value* out : graph.node().outputs()) {
    result.outputs.emplace_back(out->dtype(), out->shape());
  }
  kernel->run(ins, result.outputs);
  return result;
}

/// Runs `factory` and the reference kernel on the node and expects them to agree within `rtol`
/// of the output's scale; the factory must not decline and must report a oneDNN implementation.
inline void expect_matches_reference(ir::OpKind op, const std::vector<NodeInput>& inputs,
                                     const ir::Attributes& attributes,
                                     kernels::KernelFactory factory, float rtol = 1e-4f) {
  SingleNodeGraph graph(op, inputs, attributes);
  const FactoryRun optimized = run_factory(graph, inputs, factory);
  ASSERT_FALSE(optimized.outputs.empty()) << "declined: " << optimized.why_not;
  EXPECT_EQ(optimized.implementation.rfind("onednn:", 0), 0u) << optimized.implementation;
  const std::vector<Tensor> expected = graph.run();
  ASSERT_EQ(optimized.outputs.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    expect_close(optimized.outputs[i], expected[i], rtol);
  }
}

/// Expects `factory` to decline the node with a reason containing `fragment`, and the registry
/// to fall back to the reference kernel, recording that reason.
inline void expect_declined(ir::OpKind op, const std::vector<NodeInput>& inputs,
                            const ir::Attributes& attributes, kernels::KernelFactory factory,
                            const std::string& fragment) {
  SingleNodeGraph graph(op, inputs, attributes);
  std::string why_not;
  EXPECT_EQ(factory(graph.node(), kernels::KernelOptions{}, why_not), nullptr);
  EXPECT_NE(why_not.find(fragment), std::string::npos) << why_not;
  kernels::KernelChoice choice = kernels::create_kernel(graph.node(), kernels::KernelOptions{});
  ASSERT_NE(choice.kernel, nullptr);
  EXPECT_EQ(choice.kernel->implementation(), "reference");
  ASSERT_FALSE(choice.declined.empty());
  EXPECT_NE(choice.declined.front().find(fragment), std::string::npos) << choice.declined.front();
}

}  // namespace kiln::testing
