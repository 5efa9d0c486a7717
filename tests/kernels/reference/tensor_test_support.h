#pragma once

// Helpers shared by the tests of the tensor (data movement) ops and Resize.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "testing/single_node.h"

namespace kiln::testing {

/// Every dtype kiln stores; data movement must work on each.
inline const std::vector<DType> kAllDTypes = {DType::kFloat32, DType::kFloat16, DType::kFloat64,
                                              DType::kInt64,   DType::kInt32,   DType::kInt8,
                                              DType::kUInt8,   DType::kBool};

/// An int64 constant list, the form of shape-like inputs.
inline Tensor int64s(std::vector<std::int64_t> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return make_tensor<std::int64_t>(Shape{n}, std::move(values));
}

/// 0, 1, 2, ... in the given element type.
template <typename T>
Tensor iota(Shape shape) {
  Tensor t(dtype_of<T>(), std::move(shape));
  T* p = t.data<T>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(i);
  return t;
}

/// Deterministic pseudo-random bytes (0/1 for bool) in a tensor of any dtype.
inline Tensor random_bytes(DType dtype, Shape shape, std::uint32_t seed) {
  Tensor t(dtype, std::move(shape));
  auto* bytes = static_cast<unsigned char*>(t.raw());
  std::uint32_t state = seed * 2654435761u + 7u;
  for (std::size_t i = 0; i < t.size_bytes(); ++i) {
    state = state * 1664525u + 1013904223u;
    bytes[i] = static_cast<unsigned char>(state >> 24);
    if (dtype == DType::kBool) bytes[i] &= 1;
  }
  return t;
}

/// For a pure data-movement op: runs it on an int64 iota to learn which input element each
/// output element comes from, checks that against `expected_sources`, then runs it on random
/// data of every dtype and checks each output element is a byte copy of its source. `inputs`
/// holds the op's inputs after the data input (shape-like constants).
inline void check_movement_all_dtypes(ir::OpKind op, const Shape& data_shape,
                                      const std::vector<NodeInput>& inputs,
                                      const ir::Attributes& attributes,
                                      const std::vector<std::int64_t>& expected_sources) {
  std::vector<NodeInput> with_iota = {runtime_input(iota<std::int64_t>(data_shape))};
  with_iota.insert(with_iota.end(), inputs.begin(), inputs.end());
  const std::vector<Tensor> sources = run_reference(op, with_iota, attributes);
  ASSERT_EQ(sources.size(), 1u);
  ASSERT_EQ(sources[0].to_int64_vector(), expected_sources);
  for (DType dtype : kAllDTypes) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    const Tensor data = random_bytes(dtype, data_shape, 17);
    std::vector<NodeInput> with_data = {runtime_input(data)};
    with_data.insert(with_data.end(), inputs.begin(), inputs.end());
    const std::vector<Tensor> out = run_reference(op, with_data, attributes);
    ASSERT_EQ(out[0].dtype(), dtype);
    ASSERT_EQ(out[0].shape(), sources[0].shape());
    const std::size_t size = dtype_size(dtype);
    const auto* in_bytes = static_cast<const unsigned char*>(data.raw());
    const auto* out_bytes = static_cast<const unsigned char*>(out[0].raw());
    for (std::size_t i = 0; i < expected_sources.size(); ++i) {
      const std::size_t src = static_cast<std::size_t>(expected_sources[i]);
      ASSERT_EQ(std::memcmp(out_bytes + i * size, in_bytes + src * size, size), 0)
          << "output element " << i << " should copy input element " << src;
    }
  }
}

/// Row-major multi-index <-> linear index helpers for independent expected values.
inline std::vector<std::int64_t> unravel(std::int64_t linear, const Shape& shape) {
  std::vector<std::int64_t> index(shape.rank());
  for (std::size_t d = shape.rank(); d-- > 0;) {
    index[d] = linear % shape[d];
    linear /= shape[d];
  }
  return index;
}

inline std::int64_t ravel(const std::vector<std::int64_t>& index, const Shape& shape) {
  std::int64_t linear = 0;
  for (std::size_t d = 0; d < shape.rank(); ++d) linear = linear * shape[d] + index[d];
  return linear;
}

}  // namespace kiln::testing
