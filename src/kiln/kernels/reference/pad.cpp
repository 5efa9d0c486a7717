// Pad (opset 13 inputs data, pads, constant_value; opset 18's axes too): modes constant, reflect
// and edge; negative pads crop. Every output index maps to an input index (or to the constant)
// through per-axis tables built at kernel creation.

#include <fmt/format.h>

#include <cstring>
#include <memory>

#include "kiln/kernels/reference/tensor_copy.h"
#include "kiln/kernels/reference/tensor_ops.h"

namespace kiln::kernels::reference {

namespace {

enum class PadMode { kConstant, kReflect, kEdge };

constexpr std::int64_t kPadConstant = -1;  // a table entry: this output index is the constant

struct PadParams {
  Shape output;
  // Per axis, per output index: the input index it copies, or kPadConstant.
  std::vector<std::vector<std::int64_t>> source;
};

PadMode parse_mode(const ir::Node& node) {
  const std::string mode = node.attr_string("mode", "constant");
  if (mode == "constant") return PadMode::kConstant;
  if (mode == "reflect") return PadMode::kReflect;
  if (mode == "edge") return PadMode::kEdge;
  throw_user_error("{}: attribute mode = '{}' is not constant, reflect or edge", node.describe(),
                   mode);
}

// Negative pads crop first; the positive pads then extend what is left (as onnxruntime does), so
// reflect and edge mirror the cropped tensor.
std::vector<std::int64_t> axis_table(const ir::Node& node, std::int64_t axis, std::int64_t dim,
                                     std::int64_t begin, std::int64_t end, PadMode mode) {
  const std::int64_t crop_begin = std::max<std::int64_t>(0, -begin);
  const std::int64_t kept = dim - crop_begin - std::max<std::int64_t>(0, -end);
  if (kept < 0) {
    throw_user_error("{}: pads {} and {} crop more than the {} elements of axis {}",
                     node.describe(), begin, end, dim, axis);
  }
  const std::int64_t pad_begin = std::max<std::int64_t>(0, begin);
  const std::int64_t out_dim = kept + pad_begin + std::max<std::int64_t>(0, end);
  if (mode != PadMode::kConstant && kept == 0 && out_dim > 0) {
    throw_user_error("{}: cannot pad axis {} in {} mode: it has no elements to repeat",
                     node.describe(), axis, mode == PadMode::kReflect ? "reflect" : "edge");
  }
  std::vector<std::int64_t> table(static_cast<std::size_t>(out_dim));
  for (std::int64_t i = 0; i < out_dim; ++i) {
    std::int64_t j = i - pad_begin;  // position in the cropped axis
    if (j < 0 || j >= kept) {
      switch (mode) {
        case PadMode::kConstant:
          j = kPadConstant;
          break;
        case PadMode::kEdge:
          j = std::clamp<std::int64_t>(j, 0, kept - 1);
          break;
        case PadMode::kReflect: {
          // numpy's reflect: mirror without repeating the edge, as often as needed.
          if (kept == 1) {
            j = 0;
            break;
          }
          const std::int64_t period = 2 * (kept - 1);
          j %= period;
          if (j < 0) j += period;
          if (j >= kept) j = period - j;
          break;
        }
      }
    }
    table[static_cast<std::size_t>(i)] = j == kPadConstant ? j : j + crop_begin;
  }
  return table;
}

PadParams parse_pad(const ir::Node& node) {
  require_output_count(node, 1);
  const ir::Value& data = require_input(node, 0, "data");
  const Shape& shape = data.shape();
  const std::int64_t rank = static_cast<std::int64_t>(shape.rank());
  const PadMode mode = parse_mode(node);
  const std::vector<std::int64_t> pads = constant_ints(node, 1, "pads");
  std::vector<std::int64_t> axes(static_cast<std::size_t>(rank));
  for (std::int64_t i = 0; i < rank; ++i) axes[static_cast<std::size_t>(i)] = i;
  if (auto given = optional_constant_ints(node, 3, "axes")) {
    axes = node_axes(node, *given, rank, "axes");
  }
  if (pads.size() != 2 * axes.size()) {
    throw_user_error("{}: pads [{}] must have 2 * {} entries ([begin..., end...]) for {}",
                     node.describe(), fmt::join(pads, ","), axes.size(), data.type_string());
  }
  if (const ir::Value* value = node.input(2)) {
    if (value->dtype() != data.dtype() || value->shape().numel() != 1) {
      throw_user_error("{}: constant_value must be one {} element, got {}", node.describe(),
                       dtype_name(data.dtype()), value->type_string());
    }
  }
  std::vector<std::int64_t> begins(static_cast<std::size_t>(rank), 0);
  std::vector<std::int64_t> ends(static_cast<std::size_t>(rank), 0);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    begins[static_cast<std::size_t>(axes[i])] = pads[i];
    ends[static_cast<std::size_t>(axes[i])] = pads[i + axes.size()];
  }
  if (shape.rank() > kMaxCopyRank) {
    throw_user_error("{}: rank {} exceeds kiln's limit of {} for Pad", node.describe(),
                     shape.rank(), kMaxCopyRank);
  }
  PadParams params;
  std::vector<std::int64_t> out_dims;
  for (std::size_t a = 0; a < shape.rank(); ++a) {
    params.source.push_back(
        axis_table(node, static_cast<std::int64_t>(a), shape[a], begins[a], ends[a], mode));
    out_dims.push_back(static_cast<std::int64_t>(params.source.back().size()));
  }
  params.output = Shape(std::move(out_dims));
  return params;
}

std::vector<ValueType> infer_pad(const ir::Node& node) {
  PadParams params = parse_pad(node);
  return {ValueType{node.input(0)->dtype(), std::move(params.output)}};
}

class PadKernel final : public ReferenceKernel {
 public:
  PadKernel(PadParams params, const Shape& input, std::size_t element_size, int threads)
      : params_(std::move(params)),
        in_strides_(input.strides()),
        element_size_(element_size),
        threads_(threads) {
    if (input.rank() == 0) return;
    // The innermost axis as runs: consecutive input elements copy with one memcpy.
    const std::vector<std::int64_t>& last = params_.source.back();
    for (std::size_t i = 0; i < last.size(); ++i) {
      const bool extends =
          !runs_.empty() &&
          (last[i] == kPadConstant ? runs_.back().src == kPadConstant
                                   : runs_.back().src != kPadConstant &&
                                         runs_.back().src + runs_.back().length == last[i]);
      if (extends) {
        ++runs_.back().length;
      } else {
        runs_.push_back(Run{static_cast<std::int64_t>(i), 1, last[i]});
      }
    }
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const Tensor& src = inputs[0];
    Tensor& dst = outputs[0];
    std::array<unsigned char, 8> value{};
    if (inputs.size() > 2 && !inputs[2].empty()) {
      std::memcpy(value.data(), inputs[2].raw(), element_size_);
    }
    if (src.shape().rank() == 0) {
      std::memcpy(dst.raw(), src.raw(), element_size_);
      return;
    }
    const std::size_t rank = params_.source.size();
    const std::int64_t row = dst.shape()[rank - 1];
    if (dst.numel() == 0) return;
    const std::int64_t rows = dst.numel() / row;
    const std::size_t es = element_size_;
    const char* in = static_cast<const char*>(src.raw());
    char* out = static_cast<char*>(dst.raw());
    const bool parallel = threads_ > 1 && dst.size_bytes() >= kParallelMinBytes;
    for_each_range(rows, parallel, threads_, [&](std::int64_t begin, std::int64_t end) {
      std::array<std::int64_t, kMaxCopyRank> idx{};
      for (std::int64_t r = begin, a = static_cast<std::int64_t>(rank) - 2; a >= 0; --a) {
        const std::int64_t dim = dst.shape()[static_cast<std::size_t>(a)];
        idx[a] = r % dim;
        r /= dim;
      }
      for (std::int64_t r = begin; r < end; ++r) {
        char* dst_row = out + static_cast<std::size_t>(r * row) * es;
        std::int64_t src_offset = 0;
        bool constant_row = false;
        for (std::size_t a = 0; a + 1 < rank; ++a) {
          const std::int64_t s = params_.source[a][static_cast<std::size_t>(idx[a])];
          constant_row = constant_row || s == kPadConstant;
          src_offset += s * in_strides_[a];
        }
        if (constant_row) {
          fill_elements(dst_row, value.data(), es, row);
        } else {
          const char* src_row = in + static_cast<std::size_t>(src_offset) * es;
          for (const Run& run : runs_) {
            char* d = dst_row + static_cast<std::size_t>(run.dst) * es;
            if (run.src == kPadConstant) {
              fill_elements(d, value.data(), es, run.length);
            } else {
              std::memcpy(d, src_row + static_cast<std::size_t>(run.src) * es,
                          static_cast<std::size_t>(run.length) * es);
            }
          }
        }
        for (std::int64_t a = static_cast<std::int64_t>(rank) - 2; a >= 0; --a) {
          if (++idx[a] < dst.shape()[static_cast<std::size_t>(a)]) break;
          idx[a] = 0;
        }
      }
    });
  }

 private:
  struct Run {
    std::int64_t dst = 0;     // first output index on the innermost axis
    std::int64_t length = 0;  // elements
    std::int64_t src = 0;     // first input index, or kPadConstant
  };

  PadParams params_;
  std::vector<std::int64_t> in_strides_;
  std::size_t element_size_;
  int threads_;
  std::vector<Run> runs_;
};

std::unique_ptr<Kernel> create_pad(const ir::Node& node, const KernelOptions& options,
                                   std::string&) {
  const ir::Value& data = *node.input(0);
  return std::make_unique<PadKernel>(parse_pad(node), data.shape(), dtype_size(data.dtype()),
                                     kernel_threads(options));
}

}  // namespace

void define_pad_ops(OpDefinitionTable& table) {
  table[static_cast<std::size_t>(ir::OpKind::kPad)] = {&infer_pad, &create_pad};
}

}  // namespace kiln::kernels::reference
