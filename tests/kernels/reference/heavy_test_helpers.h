#pragma once

// Small helpers shared by the conv / pool / batchnorm / matmul tests (reference and oneDNN).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <string>

#include "testing/single_node.h"

namespace kiln::testing {

inline ir::Attribute ints(std::initializer_list<std::int64_t> values) {
  return std::vector<std::int64_t>(values);
}
inline ir::Attribute int_attr(std::int64_t value) {
  return value;
}
inline ir::Attribute float_attr(float value) {
  return value;
}
inline ir::Attribute string_attr(std::string value) {
  return value;
}

/// Expects a graph with this node to fail shape inference with a user error.
inline void expect_infer_error(ir::OpKind op, std::vector<NodeInput> inputs,
                               ir::Attributes attributes, const std::string& fragment) {
  expect_node_error([&] { SingleNodeGraph g(op, inputs, attributes); }, fragment);
}

/// Float comparison scaled to the data: |a - b| <= rtol * (|b| + max|expected|), which is what
/// "1e-4 relative" means for sums of many products whose individual outputs may cancel to ~0.
inline void expect_close(const Tensor& actual, const Tensor& expected, float rtol = 1e-4f) {
  float scale = 0.f;
  for (float v : expected.span<float>()) scale = std::max(scale, std::fabs(v));
  expect_tensor_near(actual, expected, rtol, rtol * scale + 1e-6f);
}

}  // namespace kiln::testing
