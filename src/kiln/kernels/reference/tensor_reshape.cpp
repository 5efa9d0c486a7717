// Identity Flatten Reshape Squeeze Unsqueeze: ops that keep the bytes and change only the shape.

#include <fmt/format.h>

#include <memory>

#include "kiln/core/checked_arithmetic.h"
#include "kiln/kernels/reference/tensor_copy.h"
#include "kiln/kernels/reference/tensor_ops.h"

namespace kiln::kernels::reference {

namespace {

std::string dims_text(const std::vector<std::int64_t>& dims) {
  return fmt::format("[{}]", fmt::join(dims, ","));
}

Shape reshape_output(const ir::Node& node) {
  const ir::Value& data = require_input(node, 0, "data");
  const std::vector<std::int64_t> requested = constant_ints(node, 1, "shape");
  const bool allow_zero = node.attr_int("allowzero", 0) != 0;
  const Shape& in = data.shape();
  std::vector<std::int64_t> out(requested.size());
  std::int64_t inferred = -1;  // index of the -1 entry
  bool has_zero = false;
  for (std::size_t i = 0; i < requested.size(); ++i) {
    const std::int64_t d = requested[i];
    if (d == -1) {
      if (inferred >= 0) {
        throw_user_error("{}: shape {} has more than one -1", node.describe(),
                         dims_text(requested));
      }
      inferred = static_cast<std::int64_t>(i);
      out[i] = 1;
    } else if (d == 0 && !allow_zero) {
      if (i >= in.rank()) {
        throw_user_error(
            "{}: shape {} has 0 (copy the input dimension) at index {}, but the "
            "input {} has rank {}",
            node.describe(), dims_text(requested), i, data.type_string(), in.rank());
      }
      out[i] = in[i];
    } else if (d < 0) {
      throw_user_error("{}: shape {} has {} at index {}; the only negative entry allowed is -1",
                       node.describe(), dims_text(requested), d, i);
    } else {
      has_zero = has_zero || d == 0;
      out[i] = d;
    }
  }
  if (allow_zero && has_zero && inferred >= 0) {
    throw_user_error("{}: shape {} has both 0 and -1 with allowzero=1, so -1 is undefined",
                     node.describe(), dims_text(requested));
  }
  const std::int64_t known = checked_element_count(
      out, fmt::format("{}: shape {}", node.describe(), dims_text(requested)));
  if (inferred >= 0) {
    if (known == 0 || in.numel() % known != 0) {
      throw_user_error("{}: cannot reshape {} ({} elements) to {}: {} is not a multiple of {}",
                       node.describe(), data.type_string(), in.numel(), dims_text(requested),
                       in.numel(), known);
    }
    out[static_cast<std::size_t>(inferred)] = in.numel() / known;
  } else if (known != in.numel()) {
    throw_user_error("{}: cannot reshape {} ({} elements) to {} ({} elements)", node.describe(),
                     data.type_string(), in.numel(), dims_text(out), known);
  }
  return Shape(std::move(out));
}

Shape flatten_output(const ir::Node& node) {
  const ir::Value& data = require_input(node, 0, "input");
  const std::int64_t rank = static_cast<std::int64_t>(data.shape().rank());
  // Flatten alone allows axis == rank (everything in the outer dimension).
  std::int64_t axis = node.attr_int("axis", 1);
  if (axis < -rank || axis > rank) {
    throw_user_error("{}: attribute axis = {} is out of range for rank {} (allowed {}..{})",
                     node.describe(), axis, rank, -rank, rank);
  }
  if (axis < 0) axis += rank;
  std::int64_t outer = 1;
  std::int64_t inner = 1;
  for (std::int64_t i = 0; i < rank; ++i) {
    (i < axis ? outer : inner) *= data.shape()[static_cast<std::size_t>(i)];
  }
  return Shape{outer, inner};
}

Shape squeeze_output(const ir::Node& node) {
  const ir::Value& data = require_input(node, 0, "data");
  const Shape& in = data.shape();
  const std::int64_t rank = static_cast<std::int64_t>(in.rank());
  std::vector<bool> drop(in.rank(), false);
  const auto axes = optional_constant_ints(node, 1, "axes");
  if (axes && !axes->empty()) {
    for (std::int64_t axis : node_axes(node, *axes, rank, "axes")) {
      if (in[static_cast<std::size_t>(axis)] != 1) {
        throw_user_error("{}: cannot squeeze axis {} of {}: its size is {}, not 1", node.describe(),
                         axis, data.type_string(), in[static_cast<std::size_t>(axis)]);
      }
      drop[static_cast<std::size_t>(axis)] = true;
    }
  } else {
    for (std::size_t i = 0; i < in.rank(); ++i) drop[i] = in[i] == 1;
  }
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < in.rank(); ++i) {
    if (!drop[i]) out.push_back(in[i]);
  }
  return Shape(std::move(out));
}

Shape unsqueeze_output(const ir::Node& node) {
  const ir::Value& data = require_input(node, 0, "data");
  const std::vector<std::int64_t> axes = constant_ints(node, 1, "axes");
  const std::int64_t out_rank = static_cast<std::int64_t>(data.shape().rank() + axes.size());
  std::vector<bool> inserted(static_cast<std::size_t>(out_rank), false);
  for (std::int64_t axis : node_axes(node, axes, out_rank, "axes")) {
    inserted[static_cast<std::size_t>(axis)] = true;
  }
  std::vector<std::int64_t> out;
  std::size_t next_input_dim = 0;
  for (std::size_t i = 0; i < inserted.size(); ++i) {
    out.push_back(inserted[i] ? 1 : data.shape()[next_input_dim++]);
  }
  return Shape(std::move(out));
}

template <Shape (*output_shape)(const ir::Node&)>
std::vector<ValueType> infer_same_bytes(const ir::Node& node) {
  require_output_count(node, 1);
  const Shape shape = output_shape(node);
  return {ValueType{require_input(node, 0, "data").dtype(), shape}};
}

Shape identity_output(const ir::Node& node) {
  return require_input(node, 0, "input").shape();
}

template <Shape (*output_shape)(const ir::Node&)>
std::unique_ptr<Kernel> create_copy(const ir::Node& node, const KernelOptions& options,
                                    std::string& why_not) {
  output_shape(node);  // validates, as inference did
  return std::make_unique<CopyKernel>(kernel_threads(options));
}

template <Shape (*output_shape)(const ir::Node&)>
OpDefinition copy_op() {
  return OpDefinition{&infer_same_bytes<output_shape>, &create_copy<output_shape>};
}

}  // namespace

void define_reshape_ops(OpDefinitionTable& table) {
  using ir::OpKind;
  table[static_cast<std::size_t>(OpKind::kIdentity)] = copy_op<&identity_output>();
  table[static_cast<std::size_t>(OpKind::kFlatten)] = copy_op<&flatten_output>();
  table[static_cast<std::size_t>(OpKind::kReshape)] = copy_op<&reshape_output>();
  table[static_cast<std::size_t>(OpKind::kSqueeze)] = copy_op<&squeeze_output>();
  table[static_cast<std::size_t>(OpKind::kUnsqueeze)] = copy_op<&unsqueeze_output>();
}

}  // namespace kiln::kernels::reference
