// Reference Conv and ConvTranspose: direct loops over NCHW (1 to 3 spatial axes, padded to
// three), parallel over (batch, output channel) so every thread owns whole output planes.

#include <algorithm>

#include "kiln/kernels/reference/conv_attributes.h"
#include "kiln/kernels/reference/elementwise_common.h"
#include "kiln/kernels/reference/families.h"
#include "kiln/kernels/reference/window_geometry.h"

namespace kiln::kernels::reference {

namespace {

struct Geometry3d {
  std::array<std::int64_t, 3> in, out, kernel, stride, dilation, pad;

  explicit Geometry3d(const ConvParams& p)
      : in(to_3d(p.in_spatial, 1)),
        out(to_3d(p.out_spatial, 1)),
        kernel(to_3d(p.kernel, 1)),
        stride(to_3d(p.strides, 1)),
        dilation(to_3d(p.dilations, 1)),
        pad(to_3d(p.pads_begin, 0)) {}

  std::int64_t in_plane() const { return in[0] * in[1] * in[2]; }
  std::int64_t out_plane() const { return out[0] * out[1] * out[2]; }
  std::int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
};

void fill_bias(float* dst, std::int64_t count, const float* bias, std::int64_t channel) {
  std::fill(dst, dst + count, bias != nullptr ? bias[channel] : 0.f);
}

// Conv and ConvTranspose both compute whole output planes (one output channel of one sample)
// independently, so threads split the planes and need no synchronisation. `Derived` provides
// compute_plane(src, weights, bias, dst, n, oc).
template <typename Derived>
class OutputPlaneKernel : public Kernel {
 public:
  OutputPlaneKernel(ConvParams params, int threads)
      : p_(std::move(params)), g_(p_), threads_(threads) {}

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const float* src = inputs[0].data<float>();
    const float* weights = inputs[1].data<float>();
    const float* bias = p_.has_bias ? inputs[2].data<float>() : nullptr;
    float* dst = outputs[0].data<float>();
    const auto& self = static_cast<const Derived&>(*this);
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads_)
    for (std::int64_t n = 0; n < p_.batch; ++n) {
      for (std::int64_t oc = 0; oc < p_.out_channels; ++oc) {
        self.compute_plane(src, weights, bias, dst, n, oc);
      }
    }
  }

  std::string implementation() const override {
    return "reference";
  }

 protected:
  ConvParams p_;
  Geometry3d g_;
  int threads_;
};

class ConvKernel final : public OutputPlaneKernel<ConvKernel> {
 public:
  using OutputPlaneKernel::OutputPlaneKernel;

  // Output plane (n, oc): bias, then every tap of every input channel of the group.
  void compute_plane(const float* src, const float* weights, const float* bias, float* dst,
                     std::int64_t n, std::int64_t oc) const {
    const std::int64_t ic_per_group = p_.in_channels_per_group();
    const std::int64_t first_ic = (oc / p_.out_channels_per_group()) * ic_per_group;
    const Geometry3d& g = g_;
    float* out = dst + (n * p_.out_channels + oc) * g.out_plane();
    fill_bias(out, g.out_plane(), bias, oc);
    for (std::int64_t icl = 0; icl < ic_per_group; ++icl) {
      const float* in = src + (n * p_.in_channels + first_ic + icl) * g.in_plane();
      const float* w = weights + (oc * ic_per_group + icl) * g.kernel_size();
      for (std::int64_t kd = 0; kd < g.kernel[0]; ++kd) {
        const IndexRange d =
            valid_range(g.in[0], g.out[0], g.stride[0], g.pad[0], kd * g.dilation[0]);
        for (std::int64_t kh = 0; kh < g.kernel[1]; ++kh) {
          const IndexRange h =
              valid_range(g.in[1], g.out[1], g.stride[1], g.pad[1], kh * g.dilation[1]);
          for (std::int64_t kw = 0; kw < g.kernel[2]; ++kw) {
            const std::int64_t w_offset = kw * g.dilation[2] - g.pad[2];
            const IndexRange wr =
                valid_range(g.in[2], g.out[2], g.stride[2], g.pad[2], kw * g.dilation[2]);
            const float wv = w[(kd * g.kernel[1] + kh) * g.kernel[2] + kw];
            for (std::int64_t od = d.lo; od < d.hi; ++od) {
              const std::int64_t id = od * g.stride[0] - g.pad[0] + kd * g.dilation[0];
              for (std::int64_t oh = h.lo; oh < h.hi; ++oh) {
                const std::int64_t ih = oh * g.stride[1] - g.pad[1] + kh * g.dilation[1];
                float* out_row = out + (od * g.out[1] + oh) * g.out[2];
                const float* in_row = in + (id * g.in[1] + ih) * g.in[2];
                const std::int64_t sw = g.stride[2];
                for (std::int64_t ow = wr.lo; ow < wr.hi; ++ow) {
                  out_row[ow] += wv * in_row[ow * sw + w_offset];
                }
              }
            }
          }
        }
      }
    }
  }
};

// Each input position scatters into the outputs it reaches; a thread owns whole output planes,
// so the scatter needs no synchronisation.
class ConvTransposeKernel final : public OutputPlaneKernel<ConvTransposeKernel> {
 public:
  using OutputPlaneKernel::OutputPlaneKernel;

  void compute_plane(const float* src, const float* weights, const float* bias, float* dst,
                     std::int64_t n, std::int64_t oc) const {
    const std::int64_t ic_per_group = p_.in_channels_per_group();
    const std::int64_t oc_per_group = p_.out_channels_per_group();
    const std::int64_t group = oc / oc_per_group;
    const std::int64_t ocl = oc % oc_per_group;
    const Geometry3d& g = g_;
    float* out = dst + (n * p_.out_channels + oc) * g.out_plane();
    fill_bias(out, g.out_plane(), bias, oc);
    for (std::int64_t icl = 0; icl < ic_per_group; ++icl) {
      const std::int64_t ic = group * ic_per_group + icl;
      const float* in = src + (n * p_.in_channels + ic) * g.in_plane();
      // ONNX ConvTranspose weights are [C_in, C_out / group, k...].
      const float* w = weights + (ic * oc_per_group + ocl) * g.kernel_size();
      for (std::int64_t kd = 0; kd < g.kernel[0]; ++kd) {
        const IndexRange d =
            valid_range(g.out[0], g.in[0], g.stride[0], g.pad[0], kd * g.dilation[0]);
        for (std::int64_t kh = 0; kh < g.kernel[1]; ++kh) {
          const IndexRange h =
              valid_range(g.out[1], g.in[1], g.stride[1], g.pad[1], kh * g.dilation[1]);
          for (std::int64_t kw = 0; kw < g.kernel[2]; ++kw) {
            const std::int64_t w_offset = kw * g.dilation[2] - g.pad[2];
            const IndexRange wr =
                valid_range(g.out[2], g.in[2], g.stride[2], g.pad[2], kw * g.dilation[2]);
            const float wv = w[(kd * g.kernel[1] + kh) * g.kernel[2] + kw];
            for (std::int64_t id = d.lo; id < d.hi; ++id) {
              const std::int64_t od = id * g.stride[0] - g.pad[0] + kd * g.dilation[0];
              for (std::int64_t ih = h.lo; ih < h.hi; ++ih) {
                const std::int64_t oh = ih * g.stride[1] - g.pad[1] + kh * g.dilation[1];
                float* out_row = out + (od * g.out[1] + oh) * g.out[2];
                const float* in_row = in + (id * g.in[1] + ih) * g.in[2];
                const std::int64_t sw = g.stride[2];
                for (std::int64_t iw = wr.lo; iw < wr.hi; ++iw) {
                  out_row[iw * sw + w_offset] += wv * in_row[iw];
                }
              }
            }
          }
        }
      }
    }
  }
};

std::vector<ValueType> infer_conv(const ir::Node& node) {
  return {{DType::kFloat32, parse_conv_params(node).output_shape()}};
}

std::vector<ValueType> infer_conv_transpose(const ir::Node& node) {
  return {{DType::kFloat32, parse_conv_transpose_params(node).output_shape()}};
}

std::unique_ptr<Kernel> make_conv(const ir::Node& node, const KernelOptions& options,
                                  std::string&) {
  return std::make_unique<ConvKernel>(parse_conv_params(node), kernel_threads(options));
}

std::unique_ptr<Kernel> make_conv_transpose(const ir::Node& node, const KernelOptions& options,
                                            std::string&) {
  return std::make_unique<ConvTransposeKernel>(parse_conv_transpose_params(node),
                                               kernel_threads(options));
}

}  // namespace

void define_convolution_ops(OpDefinitionTable& table) {
  table[static_cast<std::size_t>(ir::OpKind::kConv)] = {infer_conv, make_conv};
  table[static_cast<std::size_t>(ir::OpKind::kConvTranspose)] = {infer_conv_transpose,
                                                                 make_conv_transpose};
}

}  // namespace kiln::kernels::reference
