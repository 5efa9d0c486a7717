// Resize (opset 13: inputs X, roi, scales, sizes) on float32: nearest, N-linear and cubic
// interpolation with every coordinate transformation mode of opset 13. The kernel precomputes,
// per axis, which input indices each output index reads and with what weights, so run() is a
// gather-and-blend loop.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "kiln/kernels/reference/families.h"
#include "kiln/kernels/reference/tensor_copy.h"

namespace kiln::kernels::reference {

namespace {

enum class Interpolation { kNearest, kLinear, kCubic };
enum class CoordinateMode {
  kHalfPixel,
  kPytorchHalfPixel,
  kAsymmetric,
  kAlignCorners,
  kTfHalfPixelForNn,
  kTfCropAndResize,
};
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

struct ResizeAttributes {
  Interpolation interpolation = Interpolation::kNearest;
  CoordinateMode coordinates = CoordinateMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  float extrapolation_value = 0.f;
};

// How one axis is resized: output index x reads input coordinate f(x * den / num), where
// num / den is the scale (num = scale, den = 1 when scales are given; num = out, den = in
// when sizes are, which keeps x * in / out exact).
struct AxisResize {
  std::int64_t in = 0;
  std::int64_t out = 0;
  double num = 1;
  double den = 1;
  // in * scale, unfloored: ONNX's reference (and its conformance data) measure align_corners
  // and the length-1 special cases with it.
  double length_resized = 0;
  double roi_start = 0;
  double roi_end = 1;
};

struct ResizeParams {
  ResizeAttributes attributes;
  std::vector<AxisResize> axes;
  Shape output;
};

template <typename Enum, std::size_t N>
Enum parse_choice(const ir::Node& node, std::string_view attribute, std::string_view fallback,
                  const std::array<std::pair<std::string_view, Enum>, N>& choices) {
  const std::string value = node.attr_string(attribute, std::string(fallback));
  std::vector<std::string_view> names;
  for (const auto& [name, choice] : choices) {
    if (name == value) return choice;
    names.push_back(name);
  }
  throw_user_error("{}: attribute {} = '{}' is not supported (expected one of {})", node.describe(),
                   attribute, value, fmt::join(names, ", "));
}

ResizeAttributes parse_attributes(const ir::Node& node) {
  ResizeAttributes a;
  a.interpolation = parse_choice<Interpolation, 3>(node, "mode", "nearest",
                                                   {{{"nearest", Interpolation::kNearest},
                                                     {"linear", Interpolation::kLinear},
                                                     {"cubic", Interpolation::kCubic}}});
  a.coordinates =
      parse_choice<CoordinateMode, 6>(node, "coordinate_transformation_mode", "half_pixel",
                                      {{{"half_pixel", CoordinateMode::kHalfPixel},
                                        {"pytorch_half_pixel", CoordinateMode::kPytorchHalfPixel},
                                        {"asymmetric", CoordinateMode::kAsymmetric},
                                        {"align_corners", CoordinateMode::kAlignCorners},
                                        {"tf_half_pixel_for_nn", CoordinateMode::kTfHalfPixelForNn},
                                        {"tf_crop_and_resize", CoordinateMode::kTfCropAndResize}}});
  a.nearest = parse_choice<NearestMode, 4>(node, "nearest_mode", "round_prefer_floor",
                                           {{{"round_prefer_floor", NearestMode::kRoundPreferFloor},
                                             {"round_prefer_ceil", NearestMode::kRoundPreferCeil},
                                             {"floor", NearestMode::kFloor},
                                             {"ceil", NearestMode::kCeil}}});
  a.cubic_a = node.attr_float("cubic_coeff_a", -0.75f);
  a.exclude_outside = node.attr_int("exclude_outside", 0) != 0;
  a.extrapolation_value = node.attr_float("extrapolation_value", 0.f);
  // Opset 18 additions kiln does not implement; refuse rather than silently ignore them.
  if (node.attr_int("antialias", 0) != 0) {
    throw_user_error("{}: attribute antialias = 1 (opset 18) is not supported", node.describe());
  }
  if (node.has_attribute("axes")) {
    throw_user_error(
        "{}: attribute axes (opset 18) is not supported; give scales or sizes for "
        "every axis",
        node.describe());
  }
  if (node.attr_string("keep_aspect_ratio_policy", "stretch") != "stretch") {
    throw_user_error("{}: attribute keep_aspect_ratio_policy (opset 18) is not supported",
                     node.describe());
  }
  return a;
}

// An optional input that is absent or an empty tensor (exporters write both) counts as not
// given.
const Tensor* given_constant(const ir::Node& node, std::size_t index, std::string_view what) {
  const ir::Value* value = node.input(index);
  if (value == nullptr || value->shape().numel() == 0) return nullptr;
  return &require_constant_input(node, index, what);
}

ResizeParams parse_resize(const ir::Node& node) {
  if (node.output_count() != 1) {
    throw_user_error("{}: has {} outputs, expected 1", node.describe(), node.output_count());
  }
  const ir::Value& x = require_input(node, 0, "X");
  if (x.dtype() != DType::kFloat32) {
    throw_user_error("{}: input X is {}; kiln's Resize supports float32 only", node.describe(),
                     x.type_string());
  }
  ResizeParams params;
  params.attributes = parse_attributes(node);
  const Shape& in = x.shape();
  const std::size_t rank = in.rank();
  const Tensor* scales = given_constant(node, 2, "scales");
  const Tensor* sizes = given_constant(node, 3, "sizes");
  if ((scales == nullptr) == (sizes == nullptr)) {
    throw_user_error("{}: exactly one of scales and sizes must be given, got {}", node.describe(),
                     scales == nullptr ? "neither" : "both");
  }
  const Tensor& given = scales != nullptr ? *scales : *sizes;
  if (given.numel() != static_cast<std::int64_t>(rank)) {
    throw_user_error("{}: {} has {} entries for the {} dimensions of {}", node.describe(),
                     scales != nullptr ? "scales" : "sizes", given.numel(), rank, x.type_string());
  }
  if (scales != nullptr && !is_floating(scales->dtype())) {
    throw_user_error("{}: scales must be floating point, got {}", node.describe(),
                     scales->description());
  }
  if (sizes != nullptr && sizes->dtype() != DType::kInt64 && sizes->dtype() != DType::kInt32) {
    throw_user_error("{}: sizes must be int64, got {}", node.describe(), sizes->description());
  }
  const bool crop = params.attributes.coordinates == CoordinateMode::kTfCropAndResize;
  std::vector<double> roi;
  if (crop) {
    const Tensor* roi_data = given_constant(node, 1, "roi");
    if (roi_data == nullptr || roi_data->numel() != static_cast<std::int64_t>(2 * rank) ||
        !is_floating(roi_data->dtype())) {
      throw_user_error("{}: tf_crop_and_resize needs a constant floating roi of 2 * {} entries",
                       node.describe(), rank);
    }
    const Tensor roi_float = roi_data->to_float32();
    roi.assign(roi_float.data<float>(), roi_float.data<float>() + 2 * rank);
  }
  const Tensor scale_values = scales != nullptr ? scales->to_float32() : Tensor();
  const std::vector<std::int64_t> size_values =
      sizes != nullptr ? sizes->to_int64_vector() : std::vector<std::int64_t>();
  std::vector<std::int64_t> out_dims;
  for (std::size_t i = 0; i < rank; ++i) {
    AxisResize axis;
    axis.in = in[i];
    if (crop) {
      axis.roi_start = roi[i];
      axis.roi_end = roi[i + rank];
    }
    if (scales != nullptr) {
      const double scale = scale_values.data<float>()[i];
      if (!(scale > 0) || !std::isfinite(scale)) {
        throw_user_error("{}: scales[{}] = {} must be positive", node.describe(), i, scale);
      }
      const double extent = crop ? (axis.roi_end - axis.roi_start) * scale : scale;
      axis.out = static_cast<std::int64_t>(std::floor(static_cast<double>(axis.in) * extent));
      axis.num = scale;
      axis.den = 1;
      axis.length_resized = static_cast<double>(axis.in) * scale;
    } else {
      axis.out = size_values[i];
      if (axis.out < 0) {
        throw_user_error("{}: sizes[{}] = {} is negative", node.describe(), i, axis.out);
      }
      axis.num = static_cast<double>(axis.out);
      axis.den = static_cast<double>(axis.in);
      axis.length_resized = static_cast<double>(axis.out);
    }
    if (axis.out < 0) {
      throw_user_error("{}: roi gives axis {} a negative size", node.describe(), i);
    }
    if (axis.in == 0 && axis.out > 0) {
      throw_user_error("{}: cannot resize the empty axis {} of {} to {}", node.describe(), i,
                       x.type_string(), axis.out);
    }
    out_dims.push_back(axis.out);
    params.axes.push_back(axis);
  }
  params.output = Shape(std::move(out_dims));
  return params;
}

std::vector<ValueType> infer_resize(const ir::Node& node) {
  ResizeParams params = parse_resize(node);
  return {ValueType{DType::kFloat32, std::move(params.output)}};
}

// ---- Per-axis tables ----

// For each output index: `taps` input indices (clamped to the axis, as the reference's edge
// padding does) and their weights; `outside` marks tf_crop_and_resize coordinates outside the
// input, which take the extrapolation value.
struct AxisTable {
  int taps = 1;
  std::vector<std::int64_t> index;
  std::vector<float> weight;
  std::vector<std::uint8_t> outside;
  bool any_outside = false;
  bool identity = false;  // output index i reads input index i with weight 1
};

double input_coordinate(const AxisResize& axis, CoordinateMode mode, double x) {
  const double in = static_cast<double>(axis.in);
  switch (mode) {
    case CoordinateMode::kHalfPixel:
      return (x + 0.5) * axis.den / axis.num - 0.5;
    case CoordinateMode::kPytorchHalfPixel:
      return axis.length_resized > 1 ? (x + 0.5) * axis.den / axis.num - 0.5 : 0.0;
    case CoordinateMode::kAsymmetric:
      return x * axis.den / axis.num;
    case CoordinateMode::kAlignCorners:
      return axis.length_resized == 1 ? 0.0 : x * (in - 1) / (axis.length_resized - 1);
    case CoordinateMode::kTfHalfPixelForNn:
      return (x + 0.5) * axis.den / axis.num;
    case CoordinateMode::kTfCropAndResize:
      return axis.length_resized > 1
                 ? axis.roi_start * (in - 1) +
                       x * (axis.roi_end - axis.roi_start) * (in - 1) / (axis.length_resized - 1)
                 : 0.5 * (axis.roi_start + axis.roi_end) * (in - 1);
  }
  return 0.0;
}

// Keys' cubic convolution weights for the taps at floor(x) - 1 .. floor(x) + 2, t = x - floor(x).
std::array<double, 4> cubic_weights(double t, double a) {
  auto near = [a](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };       // |d| <= 1
  auto far = [a](double d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };  // 1 < |d| < 2
  return {far(t + 1), near(t), near(1 - t), far(2 - t)};
}

AxisTable build_table(const AxisResize& axis, const ResizeAttributes& attributes) {
  AxisTable table;
  table.taps = attributes.interpolation == Interpolation::kNearest  ? 1
               : attributes.interpolation == Interpolation::kLinear ? 2
                                                                    : 4;
  const std::size_t taps = static_cast<std::size_t>(table.taps);
  const std::size_t out = static_cast<std::size_t>(axis.out);
  table.index.assign(out * taps, 0);
  table.weight.assign(out * taps, 0.f);
  table.outside.assign(out, 0);
  const std::int64_t last = axis.in - 1;
  for (std::size_t o = 0; o < out; ++o) {
    const double x = input_coordinate(axis, attributes.coordinates, static_cast<double>(o));
    if (attributes.coordinates == CoordinateMode::kTfCropAndResize &&
        (x < 0 || x > static_cast<double>(last))) {
      table.outside[o] = 1;
      table.any_outside = true;
      continue;
    }
    const double floor_x = std::floor(x);
    const double t = x - floor_x;
    const std::int64_t base = static_cast<std::int64_t>(floor_x);
    std::int64_t* index = &table.index[o * taps];
    float* weight = &table.weight[o * taps];
    if (attributes.interpolation == Interpolation::kNearest) {
      bool up = false;
      if (t > 0) {
        switch (attributes.nearest) {
          case NearestMode::kRoundPreferFloor:
            up = t > 0.5;
            break;
          case NearestMode::kRoundPreferCeil:
            up = t >= 0.5;
            break;
          case NearestMode::kFloor:
            up = false;
            break;
          case NearestMode::kCeil:
            up = true;
            break;
        }
      }
      index[0] = std::clamp<std::int64_t>(base + (up ? 1 : 0), 0, last);
      weight[0] = 1.f;
      continue;
    }
    std::array<double, 4> w{};
    std::int64_t first = base;
    if (attributes.interpolation == Interpolation::kLinear) {
      w = {1 - t, t, 0, 0};
    } else {
      w = cubic_weights(t, attributes.cubic_a);
      first = base - 1;
    }
    if (attributes.exclude_outside) {
      double sum = 0;
      for (std::size_t k = 0; k < taps; ++k) {
        const std::int64_t i = first + static_cast<std::int64_t>(k);
        if (i < 0 || i > last) w[k] = 0;
        sum += w[k];
      }
      for (std::size_t k = 0; k < taps; ++k) w[k] = sum != 0 ? w[k] / sum : 0;
    }
    for (std::size_t k = 0; k < taps; ++k) {
      index[k] = std::clamp<std::int64_t>(first + static_cast<std::int64_t>(k), 0, last);
      weight[k] = static_cast<float>(w[k]);
    }
  }
  // An axis that reads input i with weight 1 for output i is not resized: it becomes one tap
  // (and, when leading, part of the batch of planes: N and C in NCHW).
  table.identity = axis.in == axis.out && !table.any_outside;
  // Every tap off index o must weigh nothing; those on o (clamping can repeat an index) must
  // sum to one.
  for (std::size_t o = 0; o < out && table.identity; ++o) {
    for (std::size_t k = 0; k < taps; ++k) {
      const bool self = table.index[o * taps + k] == static_cast<std::int64_t>(o);
      const float w = table.weight[o * taps + k];
      if (!self && w != 0.f) table.identity = false;
    }
    float self_weight = 0.f;
    for (std::size_t k = 0; k < taps; ++k) {
      if (table.index[o * taps + k] == static_cast<std::int64_t>(o)) {
        self_weight += table.weight[o * taps + k];
      }
    }
    if (self_weight != 1.f) table.identity = false;
  }
  if (table.identity) {
    table.taps = 1;
    for (std::size_t o = 0; o < out; ++o) {
      table.index[o] = static_cast<std::int64_t>(o);
      table.weight[o] = 1.f;
    }
    table.index.resize(out);
    table.weight.resize(out);
  }
  return table;
}

// ---- Kernel ----

class ResizeKernel final : public ReferenceKernel {
 public:
  ResizeKernel(const ResizeParams& params, int threads)
      : extrapolation_(params.attributes.extrapolation_value), threads_(threads) {
    for (const AxisResize& axis : params.axes) {
      tables_.push_back(build_table(axis, params.attributes));
      in_dims_.push_back(axis.in);
      out_dims_.push_back(axis.out);
    }
    while (batch_axes_ < tables_.size() && tables_[batch_axes_].identity) ++batch_axes_;
    // Only the last axis resized: the 2-D loop handles it with one-tap rows.
    if (tables_.size() - batch_axes_ == 1 && batch_axes_ > 0) --batch_axes_;
    for (std::size_t a = 0; a < batch_axes_; ++a) planes_ *= in_dims_[a];
    for (std::size_t a = batch_axes_; a < tables_.size(); ++a) {
      in_plane_ *= in_dims_[a];
      out_plane_ *= out_dims_[a];
    }
    in_strides_ = Shape(in_dims_).strides();
    if (tables_.size() - batch_axes_ == 2) {
      const std::size_t taps_y = static_cast<std::size_t>(tables_[tables_.size() - 2].taps);
      row_cache_.resize(static_cast<std::size_t>(std::max(threads, 1)) * taps_y *
                        static_cast<std::size_t>(out_dims_.back()));
    }
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const float* src = inputs[0].data<float>();
    float* dst = outputs[0].data<float>();
    if (outputs[0].numel() == 0) return;
    const std::size_t spatial = tables_.size() - batch_axes_;
    if (spatial == 0) {
      parallel_memcpy(dst, src, outputs[0].size_bytes(), threads_);
    } else if (spatial == 2) {
      run_2d(src, dst);
    } else {
      run_any(src, dst);
    }
  }

 private:
  // One output row interpolated along the width from one input row.
  template <int TapsX>
  static void resize_row(const float* src_row, const AxisTable& tx, std::int64_t out_w,
                         float* out) {
    const std::int64_t* ix = tx.index.data();
    const float* wx = tx.weight.data();
    for (std::int64_t ox = 0; ox < out_w; ++ox) {
      if constexpr (TapsX == 1) {
        out[ox] = src_row[ix[ox]];  // nearest or unresized: the weight is exactly 1
      } else {
        float sum = 0.f;
        for (int k = 0; k < TapsX; ++k) sum += wx[ox * TapsX + k] * src_row[ix[ox * TapsX + k]];
        out[ox] = sum;
      }
    }
  }

  // Separable 2-D resize, one output row per task: each needed input row is resized along the
  // width once into a per-thread cache slot (upsampling reuses it for several output rows),
  // then the slots are blended along the height.
  template <int TapsY, int TapsX>
  void resize_rows(const float* src, float* dst) {
    const AxisTable& ty = tables_[tables_.size() - 2];
    const AxisTable& tx = tables_[tables_.size() - 1];
    const std::int64_t in_h = in_dims_[in_dims_.size() - 2];
    const std::int64_t in_w = in_dims_.back();
    const std::int64_t out_h = out_dims_[out_dims_.size() - 2];
    const std::int64_t out_w = out_dims_.back();
    const float extrapolation = extrapolation_;
    const bool parallel = threads_ > 1 && planes_ * out_plane_ * 4 >= 1 << 15;
    for_each_range(planes_ * out_h, parallel, threads_, [&](std::int64_t begin, std::int64_t end) {
      float* scratch = row_cache_.data() + (parallel ? omp_get_thread_num() : 0) * TapsY * out_w;
      std::array<std::int64_t, TapsY> cached;  // plane * in_h + input row held by each slot
      cached.fill(-1);
      for (std::int64_t task = begin; task < end; ++task) {
        const std::int64_t plane = task / out_h;
        const std::int64_t oy = task - plane * out_h;
        float* row = dst + plane * out_plane_ + oy * out_w;
        if (ty.any_outside && ty.outside[static_cast<std::size_t>(oy)]) {
          std::fill_n(row, out_w, extrapolation);
          continue;
        }
        const std::int64_t* iy = &ty.index[static_cast<std::size_t>(oy * TapsY)];
        const float* wy = &ty.weight[static_cast<std::size_t>(oy * TapsY)];
        const float* plane_src = src + plane * in_plane_;
        if constexpr (TapsY == 1) {
          // Nearest upsampling repeats input rows: copy the row this thread just wrote.
          if (task > begin && oy > 0 && iy[0] == iy[-1] &&
              !(ty.any_outside && ty.outside[static_cast<std::size_t>(oy - 1)])) {
            std::memcpy(row, row - out_w, static_cast<std::size_t>(out_w) * sizeof(float));
            continue;
          }
          resize_row<TapsX>(plane_src + iy[0] * in_w, tx, out_w, row);
        } else {
          std::array<std::int64_t, TapsY> keys;
          for (int k = 0; k < TapsY; ++k) keys[k] = plane * in_h + iy[k];
          std::array<const float*, TapsY> resized;
          for (int k = 0; k < TapsY; ++k) {
            int slot = 0;
            while (slot < TapsY && cached[slot] != keys[k]) ++slot;
            if (slot == TapsY) {
              // Evict a slot no tap of this row needs; one exists, as there are TapsY slots.
              slot = 0;
              while (std::find(keys.begin(), keys.end(), cached[slot]) != keys.end()) ++slot;
              resize_row<TapsX>(plane_src + iy[k] * in_w, tx, out_w, scratch + slot * out_w);
              cached[slot] = keys[k];
            }
            resized[k] = scratch + slot * out_w;
          }
          for (std::int64_t ox = 0; ox < out_w; ++ox) {
            float sum = 0.f;
            for (int k = 0; k < TapsY; ++k) sum += wy[k] * resized[k][ox];
            row[ox] = sum;
          }
        }
        if (tx.any_outside) {
          for (std::int64_t ox = 0; ox < out_w; ++ox) {
            if (tx.outside[static_cast<std::size_t>(ox)]) row[ox] = extrapolation;
          }
        }
      }
    });
  }

  void run_2d(const float* src, float* dst) {
    const int taps_y = tables_[tables_.size() - 2].taps;
    const int taps_x = tables_.back().taps;
    switch (taps_y * 10 + taps_x) {
      case 11:
        return resize_rows<1, 1>(src, dst);
      case 12:
        return resize_rows<1, 2>(src, dst);
      case 21:
        return resize_rows<2, 1>(src, dst);
      case 22:
        return resize_rows<2, 2>(src, dst);
      case 14:
        return resize_rows<1, 4>(src, dst);
      case 41:
        return resize_rows<4, 1>(src, dst);
      case 44:
        return resize_rows<4, 4>(src, dst);
      default:
        return run_any(src, dst);
    }
  }

  // Interpolates along spatial axis `a` and, recursively, the axes after it.
  float blend(std::size_t a, const std::int64_t* out_index, const float* src) const {
    const AxisTable& table = tables_[a];
    const std::size_t taps = static_cast<std::size_t>(table.taps);
    const std::size_t o = static_cast<std::size_t>(out_index[a]) * taps;
    float sum = 0.f;
    for (std::size_t k = 0; k < taps; ++k) {
      const float* at = src + table.index[o + k] * in_strides_[a];
      sum += table.weight[o + k] * (a + 1 == tables_.size() ? *at : blend(a + 1, out_index, at));
    }
    return sum;
  }

  // Any number of resized axes (1-D signals, 3-D volumes): one output element at a time.
  void run_any(const float* src, float* dst) const {
    const std::size_t rank = tables_.size();
    const std::int64_t total = planes_ * out_plane_;
    const bool parallel = threads_ > 1 && total * 4 >= 1 << 15;
    for_each_range(total, parallel, threads_, [&](std::int64_t begin, std::int64_t end) {
      std::array<std::int64_t, kMaxCopyRank> index{};
      for (std::int64_t rest = begin, a = static_cast<std::int64_t>(rank) - 1; a >= 0; --a) {
        index[static_cast<std::size_t>(a)] = rest % out_dims_[static_cast<std::size_t>(a)];
        rest /= out_dims_[static_cast<std::size_t>(a)];
      }
      for (std::int64_t i = begin; i < end; ++i) {
        bool outside = false;
        std::int64_t plane_offset = 0;
        for (std::size_t a = 0; a < rank; ++a) {
          outside = outside || (tables_[a].any_outside && tables_[a].outside[index[a]]);
          if (a < batch_axes_) plane_offset += index[a] * in_strides_[a];
        }
        dst[i] = outside ? extrapolation_ : blend(batch_axes_, index.data(), src + plane_offset);
        for (std::size_t a = rank; a-- > 0;) {
          if (++index[a] < out_dims_[a]) break;
          index[a] = 0;
        }
      }
    });
  }

  std::vector<AxisTable> tables_;
  std::vector<std::int64_t> in_dims_;
  std::vector<std::int64_t> out_dims_;
  std::vector<std::int64_t> in_strides_;
  // 2-D path: per thread, one width-resized input row per vertical tap.
  std::vector<float> row_cache_;
  std::size_t batch_axes_ = 0;  // leading axes that are not resized
  std::int64_t planes_ = 1;     // their element count
  std::int64_t in_plane_ = 1;   // elements of one input plane (the resized axes)
  std::int64_t out_plane_ = 1;
  float extrapolation_;
  int threads_;
};

std::unique_ptr<Kernel> create_resize(const ir::Node& node, const KernelOptions& options,
                                      std::string&) {
  const ResizeParams params = parse_resize(node);
  if (params.axes.size() > kMaxCopyRank) {
    throw_user_error("{}: rank {} exceeds kiln's limit of {} for Resize", node.describe(),
                     params.axes.size(), kMaxCopyRank);
  }
  return std::make_unique<ResizeKernel>(params, kernel_threads(options));
}

}  // namespace

void define_resize_ops(OpDefinitionTable& table) {
  table[static_cast<std::size_t>(ir::OpKind::kResize)] = {&infer_resize, &create_resize};
}

}  // namespace kiln::kernels::reference
