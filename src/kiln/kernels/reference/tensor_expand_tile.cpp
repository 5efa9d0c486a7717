// Expand Tile: repeating the input, as StridedCopy views with stride-0 dimensions.

#include <fmt/format.h>

#include <memory>

#include "kiln/core/checked_arithmetic.h"
#include "kiln/kernels/reference/tensor_copy.h"
#include "kiln/kernels/reference/tensor_ops.h"

namespace kiln::kernels::reference {

namespace {

// A view of the input that the output copies densely: dims and source strides.
struct RepeatView {
  std::vector<std::int64_t> dims;
  std::vector<std::int64_t> src_strides;
};

std::unique_ptr<Kernel> make_repeat_kernel(const RepeatView& view, DType dtype,
                                           const KernelOptions& options) {
  return std::make_unique<StridedCopyKernel>(
      StridedCopy(view.dims, view.src_strides, 0, dtype_size(dtype), kernel_threads(options)));
}

// ---- Expand ----

RepeatView parse_expand(const ir::Node& node) {
  require_output_count(node, 1);
  const ir::Value& data = require_input(node, 0, "input");
  const std::vector<std::int64_t> shape = constant_ints(node, 1, "shape");
  const std::vector<std::int64_t>& in = data.shape().dims();
  const std::vector<std::int64_t> in_strides = data.shape().strides();
  const std::size_t rank = std::max(in.size(), shape.size());
  RepeatView view;
  for (std::size_t i = 0; i < rank; ++i) {
    // Both shapes right-aligned; a missing leading dimension is 1.
    const std::size_t in_lead = rank - in.size();
    const std::size_t shape_lead = rank - shape.size();
    const std::int64_t d = i < in_lead ? 1 : in[i - in_lead];
    const std::int64_t s = i < shape_lead ? 1 : shape[i - shape_lead];
    if (s < 0 || (d != s && d != 1 && s != 1)) {
      throw_user_error("{}: cannot expand {} to shape [{}]", node.describe(), data.type_string(),
                       fmt::join(shape, ","));
    }
    const bool broadcast = d == 1 && s != 1;
    view.dims.push_back(broadcast ? s : d);
    view.src_strides.push_back(broadcast || i < in_lead ? 0 : in_strides[i - in_lead]);
  }
  return view;
}

std::vector<ValueType> infer_expand(const ir::Node& node) {
  RepeatView view = parse_expand(node);
  return {ValueType{node.input(0)->dtype(), Shape(std::move(view.dims))}};
}

std::unique_ptr<Kernel> create_expand(const ir::Node& node, const KernelOptions& options,
                                      std::string&) {
  return make_repeat_kernel(parse_expand(node), node.input(0)->dtype(), options);
}

// ---- Tile ----

struct TileParams {
  Shape output;
  RepeatView view;
};

TileParams parse_tile(const ir::Node& node) {
  require_output_count(node, 1);
  const ir::Value& data = require_input(node, 0, "input");
  const std::vector<std::int64_t> repeats = constant_ints(node, 1, "repeats");
  const std::vector<std::int64_t>& in = data.shape().dims();
  const bool negative = std::any_of(repeats.begin(), repeats.end(), [](auto r) { return r < 0; });
  if (repeats.size() != in.size() || negative) {
    throw_user_error("{}: repeats [{}] must have one non-negative entry per dimension of {}",
                     node.describe(), fmt::join(repeats, ","), data.type_string());
  }
  // Output axis a is (copy k, element i) with index k * in[a] + i: a dense [repeat, dim] pair
  // whose repeat dimension has stride 0.
  const std::vector<std::int64_t> in_strides = data.shape().strides();
  TileParams params;
  std::vector<std::int64_t> out;
  for (std::size_t a = 0; a < in.size(); ++a) {
    out.push_back(checked_multiply(in[a], repeats[a], node.describe()));
    params.view.dims.insert(params.view.dims.end(), {repeats[a], in[a]});
    params.view.src_strides.insert(params.view.src_strides.end(), {0, in_strides[a]});
  }
  params.output = Shape(std::move(out));
  return params;
}

std::vector<ValueType> infer_tile(const ir::Node& node) {
  TileParams params = parse_tile(node);
  return {ValueType{node.input(0)->dtype(), std::move(params.output)}};
}

std::unique_ptr<Kernel> create_tile(const ir::Node& node, const KernelOptions& options,
                                    std::string&) {
  return make_repeat_kernel(parse_tile(node).view, node.input(0)->dtype(), options);
}

}  // namespace

void define_expand_tile_ops(OpDefinitionTable& table) {
  using ir::OpKind;
  table[static_cast<std::size_t>(OpKind::kExpand)] = {&infer_expand, &create_expand};
  table[static_cast<std::size_t>(OpKind::kTile)] = {&infer_tile, &create_tile};
}

}  // namespace kiln::kernels::reference
