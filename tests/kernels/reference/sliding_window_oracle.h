#pragma once

// Naive, independently written sliding-window math for the conv and pool tests: every output
// element computed on its own from the definitions (gather form, explicit bounds checks, double
// accumulation), sharing no code with the reference kernels it checks.

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kiln/core/tensor.h"

namespace kiln::testing {

struct WindowSpec {
  std::vector<std::int64_t> kernel;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads_begin;
  std::vector<std::int64_t> out;  ///< output spatial sizes
};

/// Calls fn(index) for every multi-index in [0, dims) in row-major order.
template <typename Fn>
void for_each_index(const std::vector<std::int64_t>& dims, Fn&& fn) {
  std::int64_t total = 1;
  for (std::int64_t d : dims) total *= d;
  std::vector<std::int64_t> index(dims.size(), 0);
  for (std::int64_t flat = 0; flat < total; ++flat) {
    std::int64_t rest = flat;
    for (std::size_t i = dims.size(); i-- > 0;) {
      index[i] = rest % dims[i];
      rest /= dims[i];
    }
    fn(index);
  }
}

inline std::int64_t flat_offset(const std::vector<std::int64_t>& dims,
                                const std::vector<std::int64_t>& index) {
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < dims.size(); ++i) offset = offset * dims[i] + index[i];
  return offset;
}

/// y[n, m, o] = b[m] + sum_{c in group, k} x[n, c, o * s - p + k * d] * w[m, c, k].
inline Tensor oracle_conv(const Tensor& x, const Tensor& w, const Tensor& bias, std::int64_t group,
                          const WindowSpec& spec) {
  const std::int64_t batch = x.shape()[0], channels = x.shape()[1], out_channels = w.shape()[0];
  const std::vector<std::int64_t> in(x.shape().dims().begin() + 2, x.shape().dims().end());
  std::vector<std::int64_t> out_dims = {batch, out_channels};
  out_dims.insert(out_dims.end(), spec.out.begin(), spec.out.end());
  Tensor y(DType::kFloat32, Shape(out_dims));
  const std::int64_t cpg = channels / group, mpg = out_channels / group;
  const std::int64_t in_plane = Shape(in).numel(), k_size = Shape(spec.kernel).numel();
  float* yd = y.data<float>();
  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  std::int64_t flat = 0;
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t m = 0; m < out_channels; ++m) {
      for_each_index(spec.out, [&](const std::vector<std::int64_t>& o) {
        double acc = bias.empty() ? 0.0 : bias.data<float>()[m];
        for (std::int64_t cl = 0; cl < cpg; ++cl) {
          const std::int64_t c = (m / mpg) * cpg + cl;
          for_each_index(spec.kernel, [&](const std::vector<std::int64_t>& k) {
            std::vector<std::int64_t> pos(in.size());
            for (std::size_t i = 0; i < in.size(); ++i) {
              pos[i] = o[i] * spec.strides[i] - spec.pads_begin[i] + k[i] * spec.dilations[i];
              if (pos[i] < 0 || pos[i] >= in[i]) return;
            }
            acc += static_cast<double>(xd[(n * channels + c) * in_plane + flat_offset(in, pos)]) *
                   wd[(m * cpg + cl) * k_size + flat_offset(spec.kernel, k)];
          });
        }
        yd[flat++] = static_cast<float>(acc);
      });
    }
  }
  return y;
}

/// y[n, m, o] = b[m] + sum over (c, i, k) with o == i * s - p + k * d of x[n, c, i] * w[c, m, k]
/// (ONNX ConvTranspose weights are [C, M / group, k...]).
inline Tensor oracle_conv_transpose(const Tensor& x, const Tensor& w, const Tensor& bias,
                                    std::int64_t group, const WindowSpec& spec) {
  const std::int64_t batch = x.shape()[0], channels = x.shape()[1];
  const std::int64_t mpg = w.shape()[1], out_channels = mpg * group, cpg = channels / group;
  const std::vector<std::int64_t> in(x.shape().dims().begin() + 2, x.shape().dims().end());
  std::vector<std::int64_t> out_dims = {batch, out_channels};
  out_dims.insert(out_dims.end(), spec.out.begin(), spec.out.end());
  Tensor y(DType::kFloat32, Shape(out_dims));
  const std::int64_t in_plane = Shape(in).numel(), k_size = Shape(spec.kernel).numel();
  float* yd = y.data<float>();
  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  std::int64_t flat = 0;
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t m = 0; m < out_channels; ++m) {
      for_each_index(spec.out, [&](const std::vector<std::int64_t>& o) {
        double acc = bias.empty() ? 0.0 : bias.data<float>()[m];
        for (std::int64_t cl = 0; cl < cpg; ++cl) {
          const std::int64_t c = (m / mpg) * cpg + cl;
          for_each_index(spec.kernel, [&](const std::vector<std::int64_t>& k) {
            std::vector<std::int64_t> pos(in.size());
            for (std::size_t i = 0; i < in.size(); ++i) {
              const std::int64_t scaled = o[i] + spec.pads_begin[i] - k[i] * spec.dilations[i];
              if (scaled < 0 || scaled % spec.strides[i] != 0) return;
              pos[i] = scaled / spec.strides[i];
              if (pos[i] >= in[i]) return;
            }
            acc += static_cast<double>(xd[(n * channels + c) * in_plane + flat_offset(in, pos)]) *
                   wd[(c * mpg + m % mpg) * k_size + flat_offset(spec.kernel, k)];
          });
        }
        yd[flat++] = static_cast<float>(acc);
      });
    }
  }
  return y;
}

/// Max or average pool; `pads_end` bounds the padded input for count_include_pad.
inline Tensor oracle_pool(const Tensor& x, bool is_max, bool count_include_pad,
                          const WindowSpec& spec, const std::vector<std::int64_t>& pads_end) {
  const std::int64_t planes = x.shape()[0] * x.shape()[1];
  const std::vector<std::int64_t> in(x.shape().dims().begin() + 2, x.shape().dims().end());
  std::vector<std::int64_t> out_dims = {x.shape()[0], x.shape()[1]};
  out_dims.insert(out_dims.end(), spec.out.begin(), spec.out.end());
  Tensor y(DType::kFloat32, Shape(out_dims));
  const std::int64_t in_plane = Shape(in).numel();
  float* yd = y.data<float>();
  const float* xd = x.data<float>();
  std::int64_t flat = 0;
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    for_each_index(spec.out, [&](const std::vector<std::int64_t>& o) {
      double sum = 0.0;
      float max = -std::numeric_limits<float>::infinity();
      std::int64_t inside = 0, padded = 0;
      for_each_index(spec.kernel, [&](const std::vector<std::int64_t>& k) {
        std::vector<std::int64_t> pos(in.size());
        bool in_input = true, in_padded = true;
        for (std::size_t i = 0; i < in.size(); ++i) {
          pos[i] = o[i] * spec.strides[i] - spec.pads_begin[i] + k[i] * spec.dilations[i];
          in_input = in_input && pos[i] >= 0 && pos[i] < in[i];
          in_padded = in_padded && pos[i] >= -spec.pads_begin[i] && pos[i] < in[i] + pads_end[i];
        }
        padded += in_padded ? 1 : 0;
        if (!in_input) return;
        ++inside;
        const float v = xd[plane * in_plane + flat_offset(in, pos)];
        sum += v;
        if (v > max) max = v;
      });
      yd[flat++] =
          is_max
              ? max
              : static_cast<float>(sum / static_cast<double>(count_include_pad ? padded : inside));
    });
  }
  return y;
}

}  // namespace kiln::testing
