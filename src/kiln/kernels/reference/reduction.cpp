// ReduceL2 ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum over an `axes` attribute.

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kiln/kernels/reference/families.h"
#include "kiln/kernels/reference/reduction_ops.h"

namespace kiln::kernels::reference {

namespace {

using ir::OpKind;

// ---- Reducers: an accumulator, its start value, one step, and the final value. Float sums
// accumulate in double, so the reference stays accurate over long axes; integer sums and
// products wrap around (two's complement) instead of overflowing. ----

template <typename T>
using WideAcc = std::conditional_t<std::is_floating_point_v<T>, double, std::uint64_t>;

template <typename T>
bool is_nan_value(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(x);
  } else {
    return false;
  }
}

template <typename T>
struct SumReducer {
  using Acc = WideAcc<T>;
  static Acc init() { return Acc{0}; }
  static Acc step(Acc acc, T x) { return acc + static_cast<Acc>(x); }
  static T finish(Acc acc, std::int64_t) { return static_cast<T>(acc); }
};
template <typename T>
struct MeanReducer {
  using Acc = double;
  static Acc init() { return 0.0; }
  static Acc step(Acc acc, T x) { return acc + static_cast<Acc>(x); }
  static T finish(Acc acc, std::int64_t count) { return static_cast<T>(acc / count); }
};
template <typename T>
struct ProdReducer {
  using Acc = WideAcc<T>;
  static Acc init() { return Acc{1}; }
  static Acc step(Acc acc, T x) { return acc * static_cast<Acc>(x); }
  static T finish(Acc acc, std::int64_t) { return static_cast<T>(acc); }
};
template <typename T>
struct L2Reducer {
  using Acc = double;
  static Acc init() { return 0.0; }
  static Acc step(Acc acc, T x) { return acc + static_cast<Acc>(x) * static_cast<Acc>(x); }
  static T finish(Acc acc, std::int64_t) { return static_cast<T>(std::sqrt(acc)); }
};
// Max and Min propagate NaN; over an empty set they give the identity (-inf / +inf, or the
// integer type's extremes).
template <typename T>
struct MaxReducer {
  using Acc = T;
  static Acc init() {
    if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::lowest();
  }
  static Acc step(Acc acc, T x) { return (x > acc || is_nan_value(x)) ? x : acc; }
  static T finish(Acc acc, std::int64_t) { return acc; }
};
template <typename T>
struct MinReducer {
  using Acc = T;
  static Acc init() {
    if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::max();
  }
  static Acc step(Acc acc, T x) { return (x < acc || is_nan_value(x)) ? x : acc; }
  static T finish(Acc acc, std::int64_t) { return acc; }
};

// ---- Attributes and shapes. ----

struct ReduceAttributes {
  std::vector<bool> reduced;  // per input dimension
  bool keepdims = true;
  bool identity = false;  // noop_with_empty_axes with no axes: the output is the input
};

ReduceAttributes parse_reduce_attributes(const ir::Node& node, const Shape& shape) {
  const auto rank = static_cast<std::int64_t>(shape.rank());
  ReduceAttributes attributes;
  attributes.keepdims = flag_attribute(node, "keepdims", true);
  const bool noop = flag_attribute(node, "noop_with_empty_axes", false);
  const std::vector<std::int64_t> axes = node.attr_ints("axes", std::vector<std::int64_t>{});
  attributes.reduced.assign(shape.rank(), axes.empty() && !noop);
  attributes.identity = axes.empty() && noop;
  for (std::int64_t axis : axes) {
    if (axis < -rank || axis >= rank) {
      throw_user_error("{}: axis {} in attribute axes is out of range for an input of rank {}",
                       node.describe(), axis, rank);
    }
    const std::int64_t normalized = axis < 0 ? axis + rank : axis;
    if (attributes.reduced[normalized]) {
      throw_user_error("{}: attribute axes names axis {} twice", node.describe(), normalized);
    }
    attributes.reduced[normalized] = true;
  }
  return attributes;
}

// Which dimensions are reduced, merged into as few blocks as possible, as the kernel walks them.
struct ReduceLayout {
  std::int64_t out_count = 1;     // output elements
  std::int64_t reduce_count = 1;  // input elements folded into each
  // At most one block of reduced dimensions: the input is [outer, reduce_count, inner].
  bool single_block = true;
  std::int64_t outer = 1;
  std::int64_t inner = 1;
  // Otherwise: the kept and reduced blocks with their input strides.
  std::vector<std::int64_t> kept_dims, kept_strides, reduced_dims, reduced_strides;
};

ReduceLayout make_reduce_layout(const Shape& shape, const std::vector<bool>& reduced) {
  struct Block {
    std::int64_t size;
    bool reduced;
  };
  std::vector<Block> blocks;
  for (std::size_t d = 0; d < shape.rank(); ++d) {
    if (shape[d] == 1) continue;  // the same element whether kept or reduced
    if (!blocks.empty() && blocks.back().reduced == reduced[d]) {
      blocks.back().size *= shape[d];
    } else {
      blocks.push_back({shape[d], reduced[d]});
    }
  }
  ReduceLayout layout;
  std::size_t reduced_blocks = 0;
  for (const Block& block : blocks) {
    if (block.reduced) {
      ++reduced_blocks;
      layout.reduce_count *= block.size;
    } else {
      layout.out_count *= block.size;
      (reduced_blocks == 0 ? layout.outer : layout.inner) *= block.size;
    }
  }
  layout.single_block = reduced_blocks <= 1;
  if (layout.single_block) return layout;
  std::int64_t stride = 1;
  for (std::size_t b = blocks.size(); b-- > 0;) {
    auto& dims = blocks[b].reduced ? layout.reduced_dims : layout.kept_dims;
    auto& strides = blocks[b].reduced ? layout.reduced_strides : layout.kept_strides;
    dims.insert(dims.begin(), blocks[b].size);
    strides.insert(strides.begin(), stride);
    stride *= blocks[b].size;
  }
  return layout;
}

// Offset of multi-index `index` (row-major over `dims`) given `strides`.
std::int64_t strided_offset(std::int64_t index, const std::vector<std::int64_t>& dims,
                            const std::vector<std::int64_t>& strides) {
  std::int64_t offset = 0;
  for (std::size_t d = dims.size(); d-- > 0;) {
    offset += (index % dims[d]) * strides[d];
    index /= dims[d];
  }
  return offset;
}

// ---- Kernel. ----

template <typename T, typename Reducer>
class ReduceKernel final : public Kernel {
 public:
  ReduceKernel(const ir::Node& node, int threads) : threads_(threads) {
    const Shape& shape = node.input(0)->shape();
    const ReduceAttributes attributes = parse_reduce_attributes(node, shape);
    identity_ = attributes.identity;
    layout_ = make_reduce_layout(shape, attributes.reduced);
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    if (identity_) {
      outputs[0].copy_from(inputs[0]);
      return;
    }
    const T* src = inputs[0].data<T>();
    T* dst = outputs[0].data<T>();
    if (!layout_.single_block) {
      reduce_general(src, dst);
    } else if (layout_.inner == 1) {
      reduce_rows(src, dst);
    } else {
      reduce_columns(src, dst);
    }
  }
  std::string implementation() const override { return "reference"; }

 private:
  using Acc = typename Reducer::Acc;
  // Output elements one parallel task folds: about kChunkElements inputs' worth.
  std::int64_t outputs_per_task() const {
    return std::max<std::int64_t>(1, kChunkElements / std::max<std::int64_t>(1, reduce_count()));
  }
  std::int64_t reduce_count() const { return layout_.reduce_count; }

  // [outer, R]: each output folds a contiguous row.
  void reduce_rows(const T* src, T* dst) const {
    const std::int64_t count = reduce_count();
    parallel_for_chunks(
        layout_.outer, threads_,
        [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t o = begin; o < end; ++o) {
            const T* row = src + o * count;
            Acc acc = Reducer::init();
            for (std::int64_t r = 0; r < count; ++r) acc = Reducer::step(acc, row[r]);
            dst[o] = Reducer::finish(acc, count);
          }
        },
        outputs_per_task(), count);
  }

  // [outer, R, inner]: a block of kLanes adjacent outputs folds R rows at once, reading each
  // input row contiguously.
  void reduce_columns(const T* src, T* dst) const {
    constexpr std::int64_t kLanes = 64;
    const std::int64_t count = reduce_count();
    const std::int64_t inner = layout_.inner;
    const std::int64_t lane_blocks = (inner + kLanes - 1) / kLanes;
    parallel_for_chunks(
        layout_.outer * lane_blocks, threads_,
        [&](std::int64_t begin, std::int64_t end) {
          Acc acc[kLanes];
          for (std::int64_t task = begin; task < end; ++task) {
            const std::int64_t o = task / lane_blocks;
            const std::int64_t first = (task % lane_blocks) * kLanes;
            const std::int64_t lanes = std::min(kLanes, inner - first);
            std::fill_n(acc, lanes, Reducer::init());
            for (std::int64_t r = 0; r < count; ++r) {
              const T* row = src + (o * count + r) * inner + first;
              for (std::int64_t j = 0; j < lanes; ++j) acc[j] = Reducer::step(acc[j], row[j]);
            }
            T* out = dst + o * inner + first;
            for (std::int64_t j = 0; j < lanes; ++j) out[j] = Reducer::finish(acc[j], count);
          }
        },
        std::max<std::int64_t>(1, outputs_per_task() / kLanes), count * kLanes);
  }

  // Several reduced blocks: index arithmetic per element (rare in real models).
  void reduce_general(const T* src, T* dst) const {
    const std::int64_t count = reduce_count();
    parallel_for_chunks(
        layout_.out_count, threads_,
        [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t o = begin; o < end; ++o) {
            const T* base = src + strided_offset(o, layout_.kept_dims, layout_.kept_strides);
            Acc acc = Reducer::init();
            for (std::int64_t r = 0; r < count; ++r) {
              acc = Reducer::step(
                  acc, base[strided_offset(r, layout_.reduced_dims, layout_.reduced_strides)]);
            }
            dst[o] = Reducer::finish(acc, count);
          }
        },
        outputs_per_task(), count);
  }

  ReduceLayout layout_;
  bool identity_ = false;
  int threads_;
};

// ---- Inference and factories. ----

template <typename... Ts>
std::vector<ValueType> infer_reduce(const ir::Node& node) {
  require_input_count(node, 1, 1);
  const ir::Value& data = require_input_dtype(node, 0, "data", {dtype_of<Ts>()...});
  const Shape& shape = data.shape();
  const ReduceAttributes attributes = parse_reduce_attributes(node, shape);
  if (attributes.identity) return {ValueType{data.dtype(), shape}};
  std::vector<std::int64_t> dims;
  for (std::size_t d = 0; d < shape.rank(); ++d) {
    if (!attributes.reduced[d]) {
      dims.push_back(shape[d]);
    } else if (attributes.keepdims) {
      dims.push_back(1);
    }
  }
  return {ValueType{data.dtype(), Shape(std::move(dims))}};
}

template <template <typename> class Reducer, typename... Ts>
std::unique_ptr<Kernel> create_reduce(const ir::Node& node, const KernelOptions& options,
                                      std::string& why_not) {
  const DType dtype = require_input_dtype(node, 0, "data", {dtype_of<Ts>()...}).dtype();
  const int threads = kernel_threads(options);
  std::unique_ptr<Kernel> kernel;
  ((dtype == dtype_of<Ts>() &&
    (kernel = std::make_unique<ReduceKernel<Ts, Reducer<Ts>>>(node, threads))) ||
   ...);
  return kernel;
}

template <template <typename> class Reducer, typename... Ts>
void define_reduce(OpDefinitionTable& table, OpKind op) {
  table[static_cast<std::size_t>(op)] = {&infer_reduce<Ts...>, &create_reduce<Reducer, Ts...>};
}

}  // namespace

void define_reduce_ops(OpDefinitionTable& table) {
  using I64 = std::int64_t;
  define_reduce<SumReducer, float, I64>(table, OpKind::kReduceSum);
  define_reduce<MeanReducer, float>(table, OpKind::kReduceMean);
  define_reduce<ProdReducer, float, I64>(table, OpKind::kReduceProd);
  define_reduce<MaxReducer, float, I64>(table, OpKind::kReduceMax);
  define_reduce<MinReducer, float, I64>(table, OpKind::kReduceMin);
  define_reduce<L2Reducer, float>(table, OpKind::kReduceL2);
}

void define_reduction_ops(OpDefinitionTable& table) {
  define_reduce_ops(table);
  define_index_ops(table);
  define_softmax_ops(table);
}

}  // namespace kiln::kernels::reference
