// DepthToSpace SpaceToDepth Transpose: permutations of (views of) the input's dimensions, all
// run by one StridedCopy planned at kernel creation.

#include <fmt/format.h>

#include <memory>

#include "kiln/kernels/reference/tensor_copy.h"
#include "kiln/kernels/reference/tensor_ops.h"

namespace kiln::kernels::reference {

namespace {

// A transpose of `dims` (the input viewed with these dimensions) by `perm`, as a plan.
struct PermutedView {
  std::vector<std::int64_t> dims;
  std::vector<std::int64_t> perm;
};

StridedCopy plan_permutation(const PermutedView& view, DType dtype, int threads) {
  const std::vector<std::int64_t> in_strides = Shape(view.dims).strides();
  std::vector<std::int64_t> out_dims;
  std::vector<std::int64_t> src_strides;
  for (std::int64_t axis : view.perm) {
    out_dims.push_back(view.dims[static_cast<std::size_t>(axis)]);
    src_strides.push_back(in_strides[static_cast<std::size_t>(axis)]);
  }
  return StridedCopy(out_dims, src_strides, 0, dtype_size(dtype), threads);
}

// ---- Transpose ----

std::vector<std::int64_t> transpose_perm(const ir::Node& node) {
  const ir::Value& data = require_input(node, 0, "data");
  const std::size_t rank = data.shape().rank();
  std::vector<std::int64_t> reversed(rank);
  for (std::size_t i = 0; i < rank; ++i) reversed[i] = static_cast<std::int64_t>(rank - 1 - i);
  std::vector<std::int64_t> perm = node.attr_ints("perm", reversed);
  std::vector<bool> seen(rank, false);
  bool valid = perm.size() == rank;
  for (std::int64_t axis : perm) {
    if (!valid) break;
    valid = axis >= 0 && axis < static_cast<std::int64_t>(rank) &&
            !seen[static_cast<std::size_t>(axis)];
    if (valid) seen[static_cast<std::size_t>(axis)] = true;
  }
  if (!valid) {
    throw_user_error("{}: perm [{}] is not a permutation of 0..{} (input {})", node.describe(),
                     fmt::join(perm, ","), static_cast<std::int64_t>(rank) - 1, data.type_string());
  }
  return perm;
}

std::vector<ValueType> infer_transpose(const ir::Node& node) {
  require_output_count(node, 1);
  const std::vector<std::int64_t> perm = transpose_perm(node);
  const ir::Value& data = *node.input(0);
  std::vector<std::int64_t> out;
  for (std::int64_t axis : perm) out.push_back(data.shape()[static_cast<std::size_t>(axis)]);
  return {ValueType{data.dtype(), Shape(std::move(out))}};
}

std::unique_ptr<Kernel> create_transpose(const ir::Node& node, const KernelOptions& options,
                                         std::string&) {
  const ir::Value& data = *node.input(0);
  const PermutedView view{data.shape().dims(), transpose_perm(node)};
  return std::make_unique<StridedCopyKernel>(
      plan_permutation(view, data.dtype(), kernel_threads(options)));
}

// ---- DepthToSpace, SpaceToDepth ----

struct BlockParams {
  std::int64_t n = 0, c = 0, h = 0, w = 0, block = 0;
};

BlockParams parse_block(const ir::Node& node) {
  require_output_count(node, 1);
  const ir::Value& data = require_input(node, 0, "input");
  if (data.shape().rank() != 4) {
    throw_user_error("{}: input must be 4-D [N,C,H,W], got {}", node.describe(),
                     data.type_string());
  }
  BlockParams p{data.shape()[0], data.shape()[1], data.shape()[2], data.shape()[3],
                node.attr_int("blocksize")};
  if (p.block <= 0) {
    throw_user_error("{}: attribute blocksize = {} must be positive", node.describe(), p.block);
  }
  return p;
}

// DCR (depth, column, row) is ONNX's default; CRD is PyTorch's pixel_shuffle.
bool depth_to_space_is_crd(const ir::Node& node) {
  const std::string mode = node.attr_string("mode", "DCR");
  if (mode != "DCR" && mode != "CRD") {
    throw_user_error("{}: attribute mode = '{}' is not DCR or CRD", node.describe(), mode);
  }
  return mode == "CRD";
}

BlockParams parse_depth_to_space(const ir::Node& node) {
  const BlockParams p = parse_block(node);
  depth_to_space_is_crd(node);
  if (p.c % (p.block * p.block) != 0) {
    throw_user_error("{}: {} channels do not divide by blocksize^2 = {}", node.describe(), p.c,
                     p.block * p.block);
  }
  return p;
}

std::vector<ValueType> infer_depth_to_space(const ir::Node& node) {
  const BlockParams p = parse_depth_to_space(node);
  return {ValueType{node.input(0)->dtype(),
                    Shape{p.n, p.c / (p.block * p.block), p.h * p.block, p.w * p.block}}};
}

std::unique_ptr<Kernel> create_depth_to_space(const ir::Node& node, const KernelOptions& options,
                                              std::string&) {
  const BlockParams p = parse_depth_to_space(node);
  const std::int64_t b = p.block;
  const std::int64_t c = p.c / (b * b);
  const PermutedView view = depth_to_space_is_crd(node)
                                ? PermutedView{{p.n, c, b, b, p.h, p.w}, {0, 1, 4, 2, 5, 3}}
                                : PermutedView{{p.n, b, b, c, p.h, p.w}, {0, 3, 4, 1, 5, 2}};
  return std::make_unique<StridedCopyKernel>(
      plan_permutation(view, node.input(0)->dtype(), kernel_threads(options)));
}

BlockParams parse_space_to_depth(const ir::Node& node) {
  const BlockParams p = parse_block(node);
  if (p.h % p.block != 0 || p.w % p.block != 0) {
    throw_user_error("{}: height {} and width {} must be multiples of blocksize {}",
                     node.describe(), p.h, p.w, p.block);
  }
  return p;
}

std::vector<ValueType> infer_space_to_depth(const ir::Node& node) {
  const BlockParams p = parse_space_to_depth(node);
  return {ValueType{node.input(0)->dtype(),
                    Shape{p.n, p.c * p.block * p.block, p.h / p.block, p.w / p.block}}};
}

std::unique_ptr<Kernel> create_space_to_depth(const ir::Node& node, const KernelOptions& options,
                                              std::string&) {
  const BlockParams p = parse_space_to_depth(node);
  const std::int64_t b = p.block;
  const PermutedView view{{p.n, p.c, p.h / b, b, p.w / b, b}, {0, 3, 5, 1, 2, 4}};
  return std::make_unique<StridedCopyKernel>(
      plan_permutation(view, node.input(0)->dtype(), kernel_threads(options)));
}

}  // namespace

void define_transpose_ops(OpDefinitionTable& table) {
  using ir::OpKind;
  table[static_cast<std::size_t>(OpKind::kTranspose)] = {&infer_transpose, &create_transpose};
  table[static_cast<std::size_t>(OpKind::kDepthToSpace)] = {&infer_depth_to_space,
                                                            &create_depth_to_space};
  table[static_cast<std::size_t>(OpKind::kSpaceToDepth)] = {&infer_space_to_depth,
                                                            &create_space_to_depth};
}

}  // namespace kiln::kernels::reference
