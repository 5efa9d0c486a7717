// Slice (opset 13: starts, ends, axes, steps as inputs), run as one StridedCopy.

#include <fmt/format.h>

#include <memory>

#include "kiln/kernels/reference/tensor_copy.h"
#include "kiln/kernels/reference/tensor_ops.h"

namespace kiln::kernels::reference {

namespace {

struct SliceParams {
  std::vector<std::int64_t> out_dims;
  std::vector<std::int64_t> src_strides;  // input stride times step, per dimension
  std::int64_t src_offset = 0;            // the first element taken, in elements
};

// Number of elements from `start` towards `end` (exclusive) in steps of `step`, after ONNX's
// clamping; 128-bit so that steps such as INT64_MIN cannot overflow.
std::int64_t slice_count(std::int64_t start, std::int64_t end, std::int64_t step) {
  const __int128 distance =
      step > 0 ? static_cast<__int128>(end) - start : static_cast<__int128>(start) - end;
  if (distance <= 0) return 0;
  const __int128 stride = step > 0 ? static_cast<__int128>(step) : -static_cast<__int128>(step);
  return static_cast<std::int64_t>((distance - 1) / stride + 1);
}

SliceParams parse_slice(const ir::Node& node) {
  require_output_count(node, 1);
  const ir::Value& data = require_input(node, 0, "data");
  const Shape& shape = data.shape();
  const std::int64_t rank = static_cast<std::int64_t>(shape.rank());
  const std::vector<std::int64_t> starts = constant_ints(node, 1, "starts");
  const std::vector<std::int64_t> ends = constant_ints(node, 2, "ends");
  const std::size_t count = starts.size();
  std::vector<std::int64_t> axes(count);
  for (std::size_t i = 0; i < count; ++i) axes[i] = static_cast<std::int64_t>(i);
  if (auto given = optional_constant_ints(node, 3, "axes")) axes = std::move(*given);
  std::vector<std::int64_t> steps(count, 1);
  if (auto given = optional_constant_ints(node, 4, "steps")) steps = std::move(*given);
  if (ends.size() != count || axes.size() != count || steps.size() != count) {
    throw_user_error("{}: starts, ends, axes and steps must have one length, got {}, {}, {}, {}",
                     node.describe(), count, ends.size(), axes.size(), steps.size());
  }
  axes = node_axes(node, axes, rank, "axes");

  SliceParams params;
  params.out_dims = shape.dims();
  const std::vector<std::int64_t> in_strides = shape.strides();
  params.src_strides = in_strides;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t axis = static_cast<std::size_t>(axes[i]);
    const std::int64_t dim = shape[axis];
    const std::int64_t step = steps[i];
    if (step == 0) {
      throw_user_error("{}: steps[{}] is 0 (axis {})", node.describe(), i, axis);
    }
    std::int64_t start = starts[i];
    std::int64_t end = ends[i];
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    // ONNX's clamping: [0, dim] going forwards, [0, dim-1] and [-1, dim-1] going backwards.
    if (step > 0) {
      start = std::clamp<std::int64_t>(start, 0, dim);
      end = std::clamp<std::int64_t>(end, 0, dim);
    } else {
      start = std::max<std::int64_t>(0, std::min(start, dim - 1));
      end = std::max<std::int64_t>(-1, std::min(end, dim - 1));
    }
    params.out_dims[axis] = slice_count(start, end, step);
    // With one element taken the step never applies (and a huge step would overflow).
    if (params.out_dims[axis] > 1) params.src_strides[axis] = in_strides[axis] * step;
    if (params.out_dims[axis] > 0) params.src_offset += start * in_strides[axis];
  }
  return params;
}

std::vector<ValueType> infer_slice(const ir::Node& node) {
  SliceParams params = parse_slice(node);
  return {ValueType{node.input(0)->dtype(), Shape(std::move(params.out_dims))}};
}

std::unique_ptr<Kernel> create_slice(const ir::Node& node, const KernelOptions& options,
                                     std::string&) {
  const SliceParams params = parse_slice(node);
  return std::make_unique<StridedCopyKernel>(
      StridedCopy(params.out_dims, params.src_strides, params.src_offset,
                  dtype_size(node.input(0)->dtype()), kernel_threads(options)));
}

}  // namespace

void define_slice_ops(OpDefinitionTable& table) {
  table[static_cast<std::size_t>(ir::OpKind::kSlice)] = {&infer_slice, &create_slice};
}

}  // namespace kiln::kernels::reference
