// Gather: rows of the input picked along one axis by int64 or int32 indices (negative counts
// from the end). Indices known at compile time are checked then; the others at run time.

#include <cstring>
#include <memory>
#include <type_traits>

#include "kiln/kernels/reference/tensor_copy.h"
#include "kiln/kernels/reference/tensor_ops.h"

namespace kiln::kernels::reference {

namespace {

struct GatherParams {
  std::int64_t axis = 0;
  std::int64_t outer = 1;     // elements before the axis
  std::int64_t axis_dim = 0;  // the size of the gathered axis
  std::int64_t inner = 1;     // elements after the axis
  Shape output;
};

[[noreturn]] void index_out_of_range(const std::string& node, std::int64_t index,
                                     std::int64_t position, const GatherParams& params) {
  throw_user_error(
      "{}: index {} (at position {} of indices) is out of range for axis {} of "
      "size {}",
      node, index, position, params.axis, params.axis_dim);
}

GatherParams parse_gather(const ir::Node& node) {
  require_output_count(node, 1);
  const ir::Value& data = require_input(node, 0, "data");
  const ir::Value& indices = require_input(node, 1, "indices");
  const Shape& shape = data.shape();
  const std::int64_t rank = static_cast<std::int64_t>(shape.rank());
  if (rank == 0) {
    throw_user_error("{}: cannot gather from a scalar ({})", node.describe(), data.type_string());
  }
  if (indices.dtype() != DType::kInt64 && indices.dtype() != DType::kInt32) {
    throw_user_error("{}: indices must be int64 or int32, got {}", node.describe(),
                     indices.type_string());
  }
  GatherParams params;
  params.axis = node_axis(node, node.attr_int("axis", 0), rank, "attribute axis");
  params.axis_dim = shape[static_cast<std::size_t>(params.axis)];
  std::vector<std::int64_t> out;
  for (std::int64_t i = 0; i < rank; ++i) {
    const std::int64_t d = shape[static_cast<std::size_t>(i)];
    if (i < params.axis) {
      params.outer *= d;
      out.push_back(d);
    } else if (i == params.axis) {
      out.insert(out.end(), indices.shape().dims().begin(), indices.shape().dims().end());
    } else {
      params.inner *= d;
      out.push_back(d);
    }
  }
  params.output = Shape(std::move(out));
  if (indices.is_constant()) {
    const std::vector<std::int64_t> values = indices.constant().to_int64_vector();
    for (std::size_t k = 0; k < values.size(); ++k) {
      if (values[k] < -params.axis_dim || values[k] >= params.axis_dim) {
        index_out_of_range(node.describe(), values[k], static_cast<std::int64_t>(k), params);
      }
    }
  }
  return params;
}

std::vector<ValueType> infer_gather(const ir::Node& node) {
  GatherParams params = parse_gather(node);
  return {ValueType{node.input(0)->dtype(), std::move(params.output)}};
}

// Copies one block: a Block of 1 to 8 bytes (an element, copied without a call to memcpy), or
// for Block = void `block_bytes` bytes.
template <typename Block>
void copy_block(char* dst, const char* src, std::size_t block_bytes) {
  if constexpr (std::is_void_v<Block>) {
    std::memcpy(dst, src, block_bytes);
  } else {
    Block value;
    std::memcpy(&value, src, sizeof(Block));
    std::memcpy(dst, &value, sizeof(Block));
  }
}

class GatherKernel final : public ReferenceKernel {
 public:
  GatherKernel(GatherParams params, std::size_t element_size, std::string node, int threads)
      : params_(std::move(params)),
        block_bytes_(element_size * static_cast<std::size_t>(params_.inner)),
        node_(std::move(node)),
        threads_(threads) {}

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    if (inputs[1].dtype() == DType::kInt64) {
      run_indexed(inputs[0], inputs[1].data<std::int64_t>(), inputs[1].numel(), outputs[0]);
    } else {
      run_indexed(inputs[0], inputs[1].data<std::int32_t>(), inputs[1].numel(), outputs[0]);
    }
  }

 private:
  template <typename Index>
  void run_indexed(const Tensor& data, const Index* indices, std::int64_t count, Tensor& out) {
    // Checked before copying, on one thread: an exception must not leave an OpenMP region.
    for (std::int64_t k = 0; k < count; ++k) {
      const std::int64_t index = indices[k];
      if (index < -params_.axis_dim || index >= params_.axis_dim) {
        index_out_of_range(node_, index, k, params_);
      }
    }
    switch (block_bytes_) {
      case 1:
        return copy_rows<std::uint8_t>(data, indices, count, out);
      case 2:
        return copy_rows<std::uint16_t>(data, indices, count, out);
      case 4:
        return copy_rows<std::uint32_t>(data, indices, count, out);
      case 8:
        return copy_rows<std::uint64_t>(data, indices, count, out);
      default:
        return copy_rows<void>(data, indices, count, out);
    }
  }

  template <typename Block, typename Index>
  void copy_rows(const Tensor& data, const Index* indices, std::int64_t count, Tensor& out) {
    const char* src = static_cast<const char*>(data.raw());
    char* dst = static_cast<char*>(out.raw());
    const std::size_t block = block_bytes_;
    const std::int64_t axis_dim = params_.axis_dim;
    const bool parallel = threads_ > 1 && out.size_bytes() >= kParallelMinBytes;
    for_each_range(
        params_.outer * count, parallel, threads_, [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t task = begin; task < end; ++task) {
            const std::int64_t o = task / count;
            std::int64_t index = indices[task - o * count];
            if (index < 0) index += axis_dim;
            copy_block<Block>(dst + static_cast<std::size_t>(task) * block,
                              src + static_cast<std::size_t>(o * axis_dim + index) * block, block);
          }
        });
  }

  GatherParams params_;
  std::size_t block_bytes_;
  std::string node_;
  int threads_;
};

std::unique_ptr<Kernel> create_gather(const ir::Node& node, const KernelOptions& options,
                                      std::string&) {
  return std::make_unique<GatherKernel>(parse_gather(node), dtype_size(node.input(0)->dtype()),
                                        node.describe(), kernel_threads(options));
}

}  // namespace

void define_gather_ops(OpDefinitionTable& table) {
  table[static_cast<std::size_t>(ir::OpKind::kGather)] = {&infer_gather, &create_gather};
}

}  // namespace kiln::kernels::reference
