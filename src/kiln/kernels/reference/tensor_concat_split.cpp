// Concat Split: joining tensors along an axis and cutting one apart.

#include <cstring>
#include <memory>
#include <numeric>

#include "kiln/kernels/reference/tensor_copy.h"
#include "kiln/kernels/reference/tensor_ops.h"

namespace kiln::kernels::reference {

namespace {

// Both ops see their tensors as [outer, axis * inner]: one contiguous block per outer index.
struct AxisBlocks {
  std::int64_t outer = 1;
  std::int64_t inner = 1;  // elements after the axis
};

AxisBlocks axis_blocks(const Shape& shape, std::int64_t axis) {
  AxisBlocks blocks;
  for (std::size_t i = 0; i < shape.rank(); ++i) {
    if (static_cast<std::int64_t>(i) < axis) blocks.outer *= shape[i];
    if (static_cast<std::int64_t>(i) > axis) blocks.inner *= shape[i];
  }
  return blocks;
}

// Copies, for every outer index o, pieces[k].bytes bytes between the joined tensor (rows of
// joined_row_bytes) and each piece (rows of its own size). Concat gathers, Split scatters.
struct Piece {
  std::size_t bytes = 0;   // per outer index
  std::size_t offset = 0;  // within a joined row
};

class BlockCopier {
 public:
  BlockCopier(std::vector<Piece> pieces, std::int64_t outer, int threads)
      : pieces_(std::move(pieces)), outer_(outer), threads_(threads) {
    for (const Piece& p : pieces_) row_bytes_ += p.bytes;
  }

  template <typename CopyFn>
  void run(CopyFn&& copy) const {
    const std::size_t total = row_bytes_ * static_cast<std::size_t>(outer_);
    const bool large = threads_ > 1 && total >= kParallelMinBytes;
    if (!large || outer_ >= 4 * threads_) {
      for_each_range(outer_, large, threads_, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t o = begin; o < end; ++o) {
          for (std::size_t k = 0; k < pieces_.size(); ++k) copy(k, o, 1);
        }
      });
      return;
    }
    // Few large blocks (concatenation along axis 0): split each block over the threads.
    for (std::int64_t o = 0; o < outer_; ++o) {
      for (std::size_t k = 0; k < pieces_.size(); ++k) copy(k, o, threads_);
    }
  }

  const Piece& piece(std::size_t k) const { return pieces_[k]; }
  std::size_t row_bytes() const { return row_bytes_; }

 private:
  std::vector<Piece> pieces_;
  std::int64_t outer_;
  int threads_;
  std::size_t row_bytes_ = 0;
};

BlockCopier make_copier(const Shape& joined, const std::vector<std::int64_t>& sizes,
                        std::int64_t axis, DType dtype, int threads) {
  const AxisBlocks blocks = axis_blocks(joined, axis);
  const std::size_t element_bytes = dtype_size(dtype) * static_cast<std::size_t>(blocks.inner);
  std::vector<Piece> pieces;
  std::size_t offset = 0;
  for (std::int64_t size : sizes) {
    pieces.push_back(Piece{static_cast<std::size_t>(size) * element_bytes, offset});
    offset += pieces.back().bytes;
  }
  return BlockCopier(std::move(pieces), blocks.outer, threads);
}

// ---- Concat ----

struct ConcatParams {
  std::int64_t axis = 0;
  Shape output;
  std::vector<std::int64_t> sizes;  // each input's extent on the axis
};

ConcatParams parse_concat(const ir::Node& node) {
  require_output_count(node, 1);
  if (node.input_count() == 0) throw_user_error("{}: has no inputs", node.describe());
  require_same_dtype(node, 0, node.input_count() - 1);
  const ir::Value& first = require_input(node, 0, "input");
  const std::int64_t rank = static_cast<std::int64_t>(first.shape().rank());
  if (rank == 0) {
    throw_user_error("{}: cannot concatenate scalars (input 0 is {})", node.describe(),
                     first.type_string());
  }
  ConcatParams params;
  params.axis = node_axis(node, node.attr_int("axis"), rank, "attribute axis");
  std::vector<std::int64_t> out = first.shape().dims();
  out[static_cast<std::size_t>(params.axis)] = 0;
  for (std::size_t i = 0; i < node.input_count(); ++i) {
    const ir::Value& input = require_input(node, i, "input");
    const Shape& shape = input.shape();
    if (static_cast<std::int64_t>(shape.rank()) != rank) {
      throw_user_error("{}: input {} is {} of rank {}, but input 0 is {} of rank {}",
                       node.describe(), i, input.type_string(), shape.rank(), first.type_string(),
                       rank);
    }
    for (std::size_t d = 0; d < shape.rank(); ++d) {
      if (static_cast<std::int64_t>(d) != params.axis && shape[d] != first.shape()[d]) {
        throw_user_error("{}: input {} is {} but input 0 is {}; they may differ only on axis {}",
                         node.describe(), i, input.type_string(), first.type_string(), params.axis);
      }
    }
    const std::int64_t size = shape[static_cast<std::size_t>(params.axis)];
    params.sizes.push_back(size);
    out[static_cast<std::size_t>(params.axis)] += size;
  }
  params.output = Shape(std::move(out));
  return params;
}

std::vector<ValueType> infer_concat(const ir::Node& node) {
  ConcatParams params = parse_concat(node);
  return {ValueType{node.input(0)->dtype(), std::move(params.output)}};
}

class ConcatKernel final : public ReferenceKernel {
 public:
  explicit ConcatKernel(BlockCopier copier) : copier_(std::move(copier)) {}
  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    char* dst = static_cast<char*>(outputs[0].raw());
    const std::size_t dst_row = copier_.row_bytes();
    copier_.run([&](std::size_t k, std::int64_t o, int threads) {
      const Piece& piece = copier_.piece(k);
      const char* src = static_cast<const char*>(inputs[k].raw()) + o * piece.bytes;
      parallel_memcpy(dst + o * dst_row + piece.offset, src, piece.bytes, threads);
    });
  }

 private:
  BlockCopier copier_;
};

std::unique_ptr<Kernel> create_concat(const ir::Node& node, const KernelOptions& options,
                                      std::string&) {
  const ConcatParams params = parse_concat(node);
  return std::make_unique<ConcatKernel>(make_copier(
      params.output, params.sizes, params.axis, node.input(0)->dtype(), kernel_threads(options)));
}

// ---- Split ----

struct SplitParams {
  std::int64_t axis = 0;
  std::vector<std::int64_t> sizes;  // each output's extent on the axis
};

SplitParams parse_split(const ir::Node& node) {
  const ir::Value& input = require_input(node, 0, "input");
  const Shape& shape = input.shape();
  const std::int64_t rank = static_cast<std::int64_t>(shape.rank());
  if (rank == 0) {
    throw_user_error("{}: cannot split a scalar ({})", node.describe(), input.type_string());
  }
  SplitParams params;
  params.axis = node_axis(node, node.attr_int("axis", 0), rank, "attribute axis");
  const std::int64_t dim = shape[static_cast<std::size_t>(params.axis)];
  const std::int64_t outputs = static_cast<std::int64_t>(node.output_count());
  if (outputs == 0) throw_user_error("{}: has no outputs", node.describe());
  if (auto split = optional_constant_ints(node, 1, "split")) {
    if (static_cast<std::int64_t>(split->size()) != outputs) {
      throw_user_error("{}: split [{}] has {} entries for {} outputs", node.describe(),
                       fmt::join(*split, ","), split->size(), outputs);
    }
    const std::int64_t sum = std::accumulate(split->begin(), split->end(), std::int64_t{0});
    const bool negative = std::any_of(split->begin(), split->end(), [](auto s) { return s < 0; });
    if (negative || sum != dim) {
      throw_user_error("{}: split [{}] must be non-negative and sum to {} (axis {} of {})",
                       node.describe(), fmt::join(*split, ","), dim, params.axis,
                       input.type_string());
    }
    params.sizes = std::move(*split);
    return params;
  }
  if (node.has_attribute("num_outputs")) {
    // Opset 18: chunks of ceil(dim / n), the last one smaller.
    const std::int64_t count = node.attr_int("num_outputs");
    if (count != outputs) {
      throw_user_error("{}: attribute num_outputs = {} but the node has {} outputs",
                       node.describe(), count, outputs);
    }
    const std::int64_t chunk = (dim + count - 1) / count;
    if (chunk * (count - 1) > dim) {
      throw_user_error("{}: cannot split axis {} of {} into {} chunks of {}", node.describe(),
                       params.axis, input.type_string(), count, chunk);
    }
    params.sizes.assign(static_cast<std::size_t>(count), chunk);
    params.sizes.back() = dim - chunk * (count - 1);
    return params;
  }
  if (dim % outputs != 0) {
    throw_user_error(
        "{}: axis {} of {} (size {}) does not split into {} equal parts; give the "
        "split input",
        node.describe(), params.axis, input.type_string(), dim, outputs);
  }
  params.sizes.assign(static_cast<std::size_t>(outputs), dim / outputs);
  return params;
}

std::vector<ValueType> infer_split(const ir::Node& node) {
  const SplitParams params = parse_split(node);
  const ir::Value& input = *node.input(0);
  std::vector<ValueType> types;
  for (std::int64_t size : params.sizes) {
    Shape shape = input.shape();
    shape[static_cast<std::size_t>(params.axis)] = size;
    types.push_back(ValueType{input.dtype(), std::move(shape)});
  }
  return types;
}

class SplitKernel final : public ReferenceKernel {
 public:
  explicit SplitKernel(BlockCopier copier) : copier_(std::move(copier)) {}
  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const char* src = static_cast<const char*>(inputs[0].raw());
    const std::size_t src_row = copier_.row_bytes();
    copier_.run([&](std::size_t k, std::int64_t o, int threads) {
      const Piece& piece = copier_.piece(k);
      char* dst = static_cast<char*>(outputs[k].raw()) + o * piece.bytes;
      parallel_memcpy(dst, src + o * src_row + piece.offset, piece.bytes, threads);
    });
  }

 private:
  BlockCopier copier_;
};

std::unique_ptr<Kernel> create_split(const ir::Node& node, const KernelOptions& options,
                                     std::string&) {
  const SplitParams params = parse_split(node);
  const ir::Value& input = *node.input(0);
  return std::make_unique<SplitKernel>(make_copier(input.shape(), params.sizes, params.axis,
                                                   input.dtype(), kernel_threads(options)));
}

}  // namespace

void define_concat_split_ops(OpDefinitionTable& table) {
  using ir::OpKind;
  table[static_cast<std::size_t>(OpKind::kConcat)] = {&infer_concat, &create_concat};
  table[static_cast<std::size_t>(OpKind::kSplit)] = {&infer_split, &create_split};
}

}  // namespace kiln::kernels::reference
