#pragma once

// Helpers the elementwise and reduction reference kernels share: thread counts, chunked parallel
// loops, dtype checks that name the node, and dispatch from a DType to a C++ element type.

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>

#include "kiln/core/dtype.h"
#include "kiln/ir/graph.h"
#include "kiln/kernels/kernel.h"
#include "kiln/kernels/reference/broadcast.h"

namespace kiln::kernels::reference {

/// Elements below which a loop runs on one thread: forking costs more than it saves.
inline constexpr std::int64_t kParallelMinElements = 1 << 15;
/// Elements one task of a chunked parallel loop handles.
inline constexpr std::int64_t kChunkElements = 1 << 14;

/// The thread count a kernel created with `options` uses (0 there means all cores).
inline int kernel_threads(const KernelOptions& options) {
  return options.threads > 0 ? options.threads : omp_get_max_threads();
}

/// Calls `body(begin, end)` over [0, total) split into chunks, in parallel when the work
/// (`total * cost_per_element`) is large enough to pay for the threads.
template <typename Body>
void parallel_for_chunks(std::int64_t total, int threads, Body&& body,
                         std::int64_t chunk = kChunkElements, std::int64_t cost_per_element = 1) {
  if (total <= 0) return;
  chunk = std::max<std::int64_t>(chunk, 1);
  const std::int64_t chunks = (total + chunk - 1) / chunk;
  const bool parallel =
      chunks > 1 && threads > 1 && total * cost_per_element >= kParallelMinElements;
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
  for (std::int64_t c = 0; c < chunks; ++c) {
    body(c * chunk, std::min(total, (c + 1) * chunk));
  }
}

/// Calls `run(out_offset, in_offsets, count)` over every output element of `plan` (see
/// BroadcastPlan::for_each_run), in parallel for large outputs.
template <typename RunFn>
void parallel_for_each_run(const BroadcastPlan& plan, int threads, RunFn&& run) {
  parallel_for_chunks(plan.numel(), threads, [&](std::int64_t begin, std::int64_t end) {
    plan.for_each_run(begin, end, run);
  });
}

/// "float32, int64 or int32".
std::string dtype_list(std::initializer_list<DType> dtypes);

/// Checks that input `index` (named `what`) is present and has one of `allowed`; throws a user
/// error naming the node, the input and its dtype otherwise. Returns the input's value.
const ir::Value& require_input_dtype(const ir::Node& node, std::size_t index, std::string_view what,
                                     std::initializer_list<DType> allowed);

/// Throws a user error unless the node has between `min` and `max` inputs.
void require_input_count(const ir::Node& node, std::size_t min, std::size_t max);

/// The node's 0/1 integer attribute `name` (keepdims, select_last_index, ...); a user error
/// naming the node for any other value.
bool flag_attribute(const ir::Node& node, std::string_view name, bool fallback);

/// Normalises the node's integer attribute `name` as an axis of a tensor of `rank` (which must
/// be at least 1); throws a user error naming the node when it is out of range.
std::int64_t axis_attribute(const ir::Node& node, std::string_view name, std::int64_t fallback,
                            std::int64_t rank);

/// float16 as stored: the IEEE bits, converted with half_to_float / float_to_half.
struct Half {
  std::uint16_t bits;
};

/// Calls `fn.template operator()<T>()` with T the element type of `dtype` (Half for float16).
template <typename Fn>
decltype(auto) visit_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kFloat32:
      return fn.template operator()<float>();
    case DType::kFloat16:
      return fn.template operator()<Half>();
    case DType::kFloat64:
      return fn.template operator()<double>();
    case DType::kInt64:
      return fn.template operator()<std::int64_t>();
    case DType::kInt32:
      return fn.template operator()<std::int32_t>();
    case DType::kInt8:
      return fn.template operator()<std::int8_t>();
    case DType::kUInt8:
      return fn.template operator()<std::uint8_t>();
    case DType::kBool:
      return fn.template operator()<bool>();
    case DType::kUndefined:
      break;
  }
  throw_internal_error("no element type for dtype {}", dtype_name(dtype));
}

/// Typed element pointers that also cover float16 (Tensor::data<T> does not know Half).
template <typename T>
const T* elements(const Tensor& tensor) {
  if constexpr (std::is_same_v<T, Half>) {
    KILN_CHECK(tensor.dtype() == DType::kFloat16, "tensor is {}, read as float16",
               dtype_name(tensor.dtype()));
    return static_cast<const Half*>(tensor.raw());
  } else {
    return tensor.data<T>();
  }
}
template <typename T>
T* elements(Tensor& tensor) {
  if constexpr (std::is_same_v<T, Half>) {
    KILN_CHECK(tensor.dtype() == DType::kFloat16, "tensor is {}, written as float16",
               dtype_name(tensor.dtype()));
    return static_cast<Half*>(tensor.raw());
  } else {
    return tensor.data<T>();
  }
}

}  // namespace kiln::kernels::reference
