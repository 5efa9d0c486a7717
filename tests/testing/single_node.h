#pragma once

// Helpers for kernel tests: build a one-node graph, infer its types, run a kernel on it.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/error.h"
#include "kiln/core/tensor.h"
#include "kiln/ir/graph.h"
#include "kiln/kernels/kernel.h"
#include "kiln/kernels/op_definitions.h"

namespace kiln::testing {

/// One input of the node under test: data, and whether the graph holds it as a constant (shape
/// inputs such as Reshape's must be). An empty tensor stands for an absent optional input.
struct NodeInput {
  Tensor data;
  bool constant = false;
};

inline NodeInput runtime_input(Tensor t) {
  return {std::move(t), false};
}
inline NodeInput constant_input(Tensor t) {
  return {std::move(t), true};
}
inline NodeInput absent_input() {
  return {Tensor(), false};
}

template <typename T>
Tensor make_tensor(Shape shape, std::vector<T> values) {
  Tensor t(dtype_of<T>(), shape);
  EXPECT_EQ(static_cast<std::int64_t>(values.size()), t.numel()) << "test data size";
  std::copy(values.begin(), values.end(), t.data<T>());
  return t;
}

/// A float32 tensor from values (shorthand for the many small hand-computed cases).
inline Tensor f32(Shape shape, std::vector<float> values) {
  return make_tensor<float>(std::move(shape), std::move(values));
}

inline Tensor i64(Shape shape, std::vector<std::int64_t> values) {
  return make_tensor<std::int64_t>(std::move(shape), std::move(values));
}

/// Adds a float32 graph input `name` of `shape` to `g`.
inline ir::Value* graph_input(ir::Graph& g, const std::string& name, Shape shape) {
  ir::Value* v = g.add_value(name);
  v->set_type(DType::kFloat32, std::move(shape));
  g.inputs().push_back(v);
  return v;
}

/// Deterministic pseudo-random floats in [lo, hi).
inline Tensor random_tensor(Shape shape, std::uint32_t seed, float lo = -1.f, float hi = 1.f) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::uint32_t state = seed * 2654435761u + 12345u;
  for (float& v : t.span<float>()) {
    state = state * 1664525u + 1013904223u;
    v = lo + (hi - lo) * static_cast<float>(state >> 8) / static_cast<float>(1u << 24);
  }
  return t;
}

/// A one-node graph built from inputs and attributes, with its types inferred.
class SingleNodeGraph {
 public:
  SingleNodeGraph(ir::OpKind op, std::vector<NodeInput> inputs, ir::Attributes attributes = {},
                  std::size_t output_count = 1) {
    std::vector<ir::Value*> in_values;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].data.empty()) {
        in_values.push_back(nullptr);
        continue;
      }
      ir::Value* v;
      if (inputs[i].constant) {
        v = graph_.add_constant("in" + std::to_string(i), inputs[i].data);
      } else {
        v = graph_.add_value("in" + std::to_string(i));
        v->set_type(inputs[i].data.dtype(), inputs[i].data.shape());
        graph_.inputs().push_back(v);
      }
      in_values.push_back(v);
    }
    std::vector<ir::Value*> out_values;
    for (std::size_t i = 0; i < output_count; ++i) {
      out_values.push_back(graph_.add_value("out" + std::to_string(i)));
    }
    node_ = graph_.add_node(op, "node_under_test", in_values, out_values, std::move(attributes));
    graph_.outputs() = out_values;
    inputs_ = std::move(inputs);
    kernels::infer_node_types(*node_);
  }

  ir::Node& node() { return *node_; }
  ir::Graph& graph() { return graph_; }

  /// Runs a kernel made by `factory` (default: the op's reference kernel); fails the test if
  /// the factory declines.
  std::vector<Tensor> run(kernels::KernelFactory factory = nullptr) {
    if (factory == nullptr) factory = kernels::op_definition(node_->op()).reference;
    std::string why_not;
    auto kernel = factory(*node_, kernels::KernelOptions{}, why_not);
    if (!kernel) {
      ADD_FAILURE() << "kernel declined: " << why_not;
      return {};
    }
    std::vector<Tensor> ins;
    for (const NodeInput& in : inputs_) ins.push_back(in.data);
    std::vector<Tensor> outs;
    for (ir::Value* out : node_->outputs()) outs.emplace_back(out->dtype(), out->shape());
    kernel->run(ins, outs);
    return outs;
  }

 private:
  ir::Graph graph_;
  ir::Node* node_ = nullptr;
  std::vector<NodeInput> inputs_;
};

/// Runs `op` with the reference kernel; returns its outputs.
inline std::vector<Tensor> run_reference(ir::OpKind op, std::vector<NodeInput> inputs,
                                         ir::Attributes attributes = {},
                                         std::size_t output_count = 1) {
  SingleNodeGraph g(op, std::move(inputs), std::move(attributes), output_count);
  return g.run();
}

/// Runs `op` with the reference kernel and returns its first output (empty when it declined).
inline Tensor run1(ir::OpKind op, std::vector<NodeInput> inputs, ir::Attributes attributes = {}) {
  std::vector<Tensor> outputs = run_reference(op, std::move(inputs), std::move(attributes));
  return outputs.empty() ? Tensor() : outputs[0];
}

/// Expects `body` to throw a user kiln::Error whose message contains `node` (by default the
/// node under test's name) and `fragment`.
inline void expect_node_error(const std::function<void()>& body, const std::string& fragment,
                              const std::string& node = "node 'node_under_test'") {
  try {
    body();
    ADD_FAILURE() << "expected a kiln::Error mentioning '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUser) << e.what();
    const std::string text = e.what();
    EXPECT_NE(text.find(node), std::string::npos) << text;
    EXPECT_NE(text.find(fragment), std::string::npos) << text;
  }
}

/// Expects equal dtype and shape and |a-b| <= atol + rtol*|b| for every element (b = expected).
inline void expect_tensor_near(const Tensor& actual, const Tensor& expected, float rtol = 1e-5f,
                               float atol = 1e-6f) {
  ASSERT_EQ(actual.dtype(), expected.dtype());
  ASSERT_EQ(actual.shape(), expected.shape())
      << actual.shape().to_string() << " vs " << expected.shape().to_string();
  if (!is_floating(actual.dtype())) {
    EXPECT_EQ(actual.to_int64_vector(), expected.to_int64_vector());
    return;
  }
  // float16 and float64 are compared as float32, with the same tolerances.
  const Tensor actual_f32 = actual.to_float32();
  const Tensor expected_f32 = expected.to_float32();
  const float* a = actual_f32.data<float>();
  const float* b = expected_f32.data<float>();
  int reported = 0;
  for (std::int64_t i = 0; i < actual.numel(); ++i) {
    const bool both_nan = std::isnan(a[i]) && std::isnan(b[i]);
    const bool equal_inf = std::isinf(a[i]) && a[i] == b[i];
    if (both_nan || equal_inf) continue;
    if (!(std::fabs(a[i] - b[i]) <= atol + rtol * std::fabs(b[i]))) {
      ADD_FAILURE() << "element " << i << ": got " << a[i] << ", expected " << b[i];
      if (++reported == 5) return;
    }
  }
}

}  // namespace kiln::testing
