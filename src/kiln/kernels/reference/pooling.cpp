// Reference MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool: for every output
// position, the taps of its window that fall inside the input (padding never takes part in a
// max, and counts for an average only under count_include_pad). The per-axis window bounds are
// computed once, at creation.

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "kiln/kernels/reference/elementwise_common.h"
#include "kiln/kernels/reference/families.h"
#include "kiln/kernels/reference/pool_attributes.h"

namespace kiln::kernels::reference {

namespace {

// For each output position along one axis: where its window starts in the input, the taps
// [k_lo, k_hi) that land inside the input, and how many taps land inside the padded input
// (the count_include_pad divisor; taps beyond pads_end under ceil_mode do not count).
struct AxisWindows {
  std::int64_t in = 1;
  std::int64_t dilation = 1;
  std::vector<std::int64_t> first;
  std::vector<std::int64_t> k_lo;
  std::vector<std::int64_t> k_hi;
  std::vector<std::int64_t> padded_taps;

  std::int64_t out() const { return static_cast<std::int64_t>(first.size()); }
};

std::int64_t taps_inside(std::int64_t first, std::int64_t lo, std::int64_t hi,
                         std::int64_t dilation, std::int64_t kernel) {
  // taps k in [0, kernel) with lo <= first + k * dilation < hi
  const std::int64_t k_begin = first >= lo ? 0 : (lo - first + dilation - 1) / dilation;
  const std::int64_t k_end = first >= hi ? 0 : std::min(kernel, (hi - 1 - first) / dilation + 1);
  return std::max<std::int64_t>(0, k_end - k_begin);
}

AxisWindows axis_windows(std::int64_t in, std::int64_t out, std::int64_t kernel,
                         std::int64_t stride, std::int64_t dilation, std::int64_t pad_begin,
                         std::int64_t pad_end) {
  AxisWindows a;
  a.in = in;
  a.dilation = dilation;
  for (std::int64_t o = 0; o < out; ++o) {
    const std::int64_t first = o * stride - pad_begin;
    const std::int64_t k_lo = first >= 0 ? 0 : (-first + dilation - 1) / dilation;
    const std::int64_t k_hi = std::min(kernel, (in - 1 - first) / dilation + 1);
    a.first.push_back(first);
    a.k_lo.push_back(k_lo);
    a.k_hi.push_back(std::max(k_lo, k_hi));
    a.padded_taps.push_back(taps_inside(first, -pad_begin, in + pad_end, dilation, kernel));
  }
  return a;
}

class PoolKernel final : public Kernel {
 public:
  PoolKernel(PoolParams params, int threads) : p_(std::move(params)), threads_(threads) {
    const std::size_t lead = 3 - p_.spatial_rank();
    for (std::size_t i = 0; i < 3; ++i) {
      if (i < lead) {
        axes_[i] = axis_windows(1, 1, 1, 1, 1, 0, 0);
      } else {
        const std::size_t j = i - lead;
        axes_[i] = axis_windows(p_.in_spatial[j], p_.out_spatial[j], p_.kernel[j], p_.strides[j],
                                p_.dilations[j], p_.pads_begin[j], p_.pads_end[j]);
      }
    }
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const float* src = inputs[0].data<float>();
    float* dst = outputs[0].data<float>();
    const std::int64_t planes = p_.batch * p_.channels;
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (std::int64_t plane = 0; plane < planes; ++plane) {
      if (p_.is_max) {
        pool_plane<true>(src, dst, plane);
      } else {
        pool_plane<false>(src, dst, plane);
      }
    }
  }

  std::string implementation() const override {
    return "reference";
  }

 private:
  template <bool kMax>
  void pool_plane(const float* src, float* dst, std::int64_t plane) const {
    const AxisWindows& d = axes_[0];
    const AxisWindows& h = axes_[1];
    const AxisWindows& w = axes_[2];
    const float* in = src + plane * d.in * h.in * w.in;
    float* out = dst + plane * d.out() * h.out() * w.out();
    for (std::int64_t od = 0; od < d.out(); ++od) {
      for (std::int64_t oh = 0; oh < h.out(); ++oh) {
        for (std::int64_t ow = 0; ow < w.out(); ++ow) {
          float acc = kMax ? -std::numeric_limits<float>::infinity() : 0.f;
          for (std::int64_t kd = d.k_lo[od]; kd < d.k_hi[od]; ++kd) {
            const std::int64_t id = d.first[od] + kd * d.dilation;
            for (std::int64_t kh = h.k_lo[oh]; kh < h.k_hi[oh]; ++kh) {
              const float* row = in + (id * h.in + h.first[oh] + kh * h.dilation) * w.in;
              for (std::int64_t kw = w.k_lo[ow]; kw < w.k_hi[ow]; ++kw) {
                const float v = row[w.first[ow] + kw * w.dilation];
                // NaN propagates through the max, as in PyTorch and ONNX Runtime.
                if constexpr (kMax) {
                  acc = (v > acc || std::isnan(v)) ? v : acc;
                } else {
                  acc += v;
                }
              }
            }
          }
          if constexpr (!kMax) {
            const std::int64_t divisor =
                p_.count_include_pad ? d.padded_taps[od] * h.padded_taps[oh] * w.padded_taps[ow]
                                     : (d.k_hi[od] - d.k_lo[od]) * (h.k_hi[oh] - h.k_lo[oh]) *
                                           (w.k_hi[ow] - w.k_lo[ow]);
            acc /= static_cast<float>(divisor);
          }
          *out++ = acc;
        }
      }
    }
  }

  PoolParams p_;
  int threads_;
  std::array<AxisWindows, 3> axes_;
};

std::vector<ValueType> infer_pool(const ir::Node& node) {
  return {{DType::kFloat32, parse_pool_params(node).output_shape}};
}

std::unique_ptr<Kernel> make_pool(const ir::Node& node, const KernelOptions& options,
                                  std::string&) {
  return std::make_unique<PoolKernel>(parse_pool_params(node), kernel_threads(options));
}

}  // namespace

void define_pooling_ops(OpDefinitionTable& table) {
  for (ir::OpKind op : {ir::OpKind::kAveragePool, ir::OpKind::kGlobalAveragePool,
                        ir::OpKind::kGlobalMaxPool, ir::OpKind::kMaxPool}) {
    table[static_cast<std::size_t>(op)] = {infer_pool, make_pool};
  }
}

}  // namespace kiln::kernels::reference
