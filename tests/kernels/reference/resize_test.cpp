// Resize reference kernel: the mode combinations PyTorch exports (checked by hand on small
// inputs), ONNX's own examples for the rest, the generic N-D path, and bad attributes.

#include <cmath>

#include "tensor_test_support.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

Tensor floats(Shape shape, std::vector<float> values) {
  return make_tensor<float>(std::move(shape), std::move(values));
}

Tensor scales_of(std::vector<float> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return floats({n}, std::move(values));
}

struct ResizeInputs {
  Tensor scales = Tensor();
  Tensor sizes = Tensor();
  Tensor roi = Tensor();
};

std::vector<NodeInput> resize_node_inputs(const Tensor& x, const ResizeInputs& in) {
  return {runtime_input(x), constant_input(in.roi), constant_input(in.scales),
          constant_input(in.sizes)};
}

Tensor resize(const Tensor& x, const ResizeInputs& in, ir::Attributes attributes) {
  return run_reference(OpKind::kResize, resize_node_inputs(x, in), std::move(attributes))[0];
}

// 1, 2, ..., 16 as [1, 1, 4, 4]: the input of ONNX's Resize examples.
Tensor onnx_example_input() {
  std::vector<float> values(16);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i + 1);
  return floats({1, 1, 4, 4}, values);
}

const ir::Attributes kPytorchNearest = {
    {"mode", std::string("nearest")},
    {"coordinate_transformation_mode", std::string("asymmetric")},
    {"nearest_mode", std::string("floor")}};

ir::Attributes linear(std::string coordinates) {
  return {{"mode", std::string("linear")},
          {"coordinate_transformation_mode", std::move(coordinates)}};
}

TEST(Resize, PytorchNearestUpsampleByTwo) {
  // nn.Upsample(scale_factor=2, mode='nearest'): every pixel becomes a 2x2 block.
  const Tensor out = resize(floats({1, 1, 2, 3}, {1, 2, 3, 4, 5, 6}),
                            {.scales = scales_of({1, 1, 2, 2})}, kPytorchNearest);
  expect_tensor_near(out, floats({1, 1, 4, 6}, {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3,  //
                                                4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6}));
}

TEST(Resize, PytorchNearestDownscaleAndOddSizes) {
  // Half size: input index 2 * output index.
  expect_tensor_near(
      resize(iota<float>({1, 1, 4, 4}), {.scales = scales_of({1, 1, 0.5f, 0.5f})}, kPytorchNearest),
      floats({1, 1, 2, 2}, {0, 2, 8, 10}));
  // 2x3 -> 3x5: rows floor(y * 2 / 3) = 0, 0, 1; columns floor(x * 3 / 5) = 0, 0, 1, 1, 2.
  expect_tensor_near(
      resize(iota<float>({1, 1, 2, 3}), {.sizes = int64s({1, 1, 3, 5})}, kPytorchNearest),
      floats({1, 1, 3, 5}, {0, 0, 1, 1, 2, 0, 0, 1, 1, 2, 3, 3, 4, 4, 5}));
}

TEST(Resize, NearestDefaultsHalfPixelRoundPreferFloor) {
  // ONNX's example: x = (i + 0.5) / 0.6 - 0.5 gives 0.33 -> 0 and 2.0 -> 2 on the width.
  expect_tensor_near(resize(floats({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}),
                            {.scales = scales_of({1, 1, 0.6f, 0.6f})}, {}),
                     floats({1, 1, 1, 2}, {1, 3}));
}

TEST(Resize, NearestCeilAndRoundPreferCeil) {
  // ONNX's examples; both give the same 8x8 for this input.
  const Tensor expected =
      floats({1, 1, 8, 8}, {1,  2,  2,  3,  3,  4,  4,  4,  5,  6,  6,  7,  7,  8,  8,  8,
                            5,  6,  6,  7,  7,  8,  8,  8,  9,  10, 10, 11, 11, 12, 12, 12,
                            9,  10, 10, 11, 11, 12, 12, 12, 13, 14, 14, 15, 15, 16, 16, 16,
                            13, 14, 14, 15, 15, 16, 16, 16, 13, 14, 14, 15, 15, 16, 16, 16});
  expect_tensor_near(resize(onnx_example_input(), {.sizes = int64s({1, 1, 8, 8})},
                            {{"mode", std::string("nearest")},
                             {"coordinate_transformation_mode", std::string("half_pixel")},
                             {"nearest_mode", std::string("ceil")}}),
                     expected);
  expect_tensor_near(resize(onnx_example_input(), {.sizes = int64s({1, 1, 8, 8})},
                            {{"mode", std::string("nearest")},
                             {"coordinate_transformation_mode", std::string("asymmetric")},
                             {"nearest_mode", std::string("round_prefer_ceil")}}),
                     expected);
}

TEST(Resize, PytorchBilinearUpsampleAlignCornersFalse) {
  // x = (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamped blends of the two pixels.
  const Tensor expected = floats({1, 1, 4, 4}, {1.0f, 1.25f, 1.75f, 2.0f,  //
                                                1.5f, 1.75f, 2.25f, 2.5f,  //
                                                2.5f, 2.75f, 3.25f, 3.5f,  //
                                                3.0f, 3.25f, 3.75f, 4.0f});
  const Tensor x = floats({1, 1, 2, 2}, {1, 2, 3, 4});
  for (const char* mode : {"pytorch_half_pixel", "half_pixel"}) {
    SCOPED_TRACE(mode);
    expect_tensor_near(resize(x, {.scales = scales_of({1, 1, 2, 2})}, linear(mode)), expected);
    expect_tensor_near(resize(x, {.sizes = int64s({1, 1, 4, 4})}, linear(mode)), expected);
  }
}

TEST(Resize, PytorchBilinearDownscale) {
  // x = (i + 0.5) * 2 - 0.5 = 0.5, 2.5: the mean of each 2x2 block.
  expect_tensor_near(
      resize(onnx_example_input(), {.sizes = int64s({1, 1, 2, 2})}, linear("pytorch_half_pixel")),
      floats({1, 1, 2, 2}, {3.5f, 5.5f, 11.5f, 13.5f}));
  // Height 4 -> 3: y = (i + 0.5) * 4 / 3 - 0.5 = 1/6, 1.5, 17/6; width 4 -> 1 reads column 0.
  expect_tensor_near(
      resize(onnx_example_input(), {.sizes = int64s({1, 1, 3, 1})}, linear("pytorch_half_pixel")),
      floats({1, 1, 3, 1}, {1 + 4.f / 6, 7, 9 + 4 * 5.f / 6}), 1e-5f, 1e-5f);
  // half_pixel with scales 0.6: y = 1/3 on 2 rows; x = 1/3 and exactly 2.
  expect_tensor_near(resize(floats({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}),
                            {.scales = scales_of({1, 1, 0.6f, 0.6f})}, linear("half_pixel")),
                     floats({1, 1, 1, 2}, {8.f / 3, 13.f / 3}), 1e-5f, 1e-5f);
}

TEST(Resize, PytorchBilinearAlignCornersTrue) {
  // x = i * (2 - 1) / (4 - 1): thirds between the corners.
  const float t = 1.f / 3;
  expect_tensor_near(resize(floats({1, 1, 2, 2}, {1, 2, 3, 4}), {.scales = scales_of({1, 1, 2, 2})},
                            linear("align_corners")),
                     floats({1, 1, 4, 4}, {1, 1 + t, 1 + 2 * t, 2,          //
                                           1 + 2 * t, 2, 2 + t, 2 + 2 * t,  //
                                           2 + t, 2 + 2 * t, 3, 3 + t,      //
                                           3, 3 + t, 3 + 2 * t, 4}),
                     1e-5f, 1e-5f);
  // Downscaling keeps the corners: 3x3 -> 2x2 reads indices 0 and 2.
  expect_tensor_near(
      resize(iota<float>({1, 1, 3, 3}), {.sizes = int64s({1, 1, 2, 2})}, linear("align_corners")),
      floats({1, 1, 2, 2}, {0, 2, 6, 8}));
}

TEST(Resize, CubicAsymmetricMatchesOnnxExample) {
  // By hand for out[0][1]: x = 0.5, taps -1..2 clamp to values 1, 1, 2, 3 with Keys weights
  // (a = -0.75) -0.09375, 0.59375, 0.59375, -0.09375: 1.40625.
  const Tensor out = resize(onnx_example_input(), {.scales = scales_of({1, 1, 2, 2})},
                            {{"mode", std::string("cubic")},
                             {"coordinate_transformation_mode", std::string("asymmetric")}});
  const std::vector<float> first_rows = {1.0f,   1.40625f, 2.0f,   2.5f,     3.0f,   3.59375f,
                                         4.0f,   4.09375f, 2.625f, 3.03125f, 3.625f, 4.125f,
                                         4.625f, 5.21875f, 5.625f, 5.71875f};
  for (std::size_t i = 0; i < first_rows.size(); ++i) {
    EXPECT_NEAR(out.data<float>()[i], first_rows[i], 1e-5f) << i;
  }
}

TEST(Resize, CubicAlongOneAxis) {
  // Resizing only the height (or only the width) gives the even columns (rows) of the 8x8
  // asymmetric example above, where the other coordinate is an exact input index.
  const ir::Attributes cubic = {{"mode", std::string("cubic")},
                                {"coordinate_transformation_mode", std::string("asymmetric")}};
  expect_tensor_near(resize(onnx_example_input(), {.scales = scales_of({1, 1, 2, 1})}, cubic),
                     floats({1, 1, 8, 4}, {1,  2,  3,  4,  2.625f,  3.625f,  4.625f,  5.625f,
                                           5,  6,  7,  8,  7,       8,       9,       10,
                                           9,  10, 11, 12, 11.375f, 12.375f, 13.375f, 14.375f,
                                           13, 14, 15, 16, 13.375f, 14.375f, 15.375f, 16.375f}));
  const Tensor wide = resize(onnx_example_input(), {.scales = scales_of({1, 1, 1, 2})}, cubic);
  ASSERT_EQ(wide.shape(), Shape({1, 1, 4, 8}));
  const std::vector<float> first_row = {1.0f, 1.40625f, 2.0f, 2.5f, 3.0f, 3.59375f, 4.0f, 4.09375f};
  for (std::size_t i = 0; i < 8; ++i) EXPECT_NEAR(wide.data<float>()[i], first_row[i], 1e-5f);
}

TEST(Resize, CubicHalfPixelMatchesOnnxExamples) {
  const Tensor up = resize(onnx_example_input(), {.scales = scales_of({1, 1, 2, 2})},
                           {{"mode", std::string("cubic")}});
  ASSERT_EQ(up.shape(), Shape({1, 1, 8, 8}));
  const std::vector<float> first_row = {0.47265625f, 0.76953125f, 1.24609375f, 1.875f,
                                        2.28125f,    2.91015625f, 3.38671875f, 3.68359375f};
  for (std::size_t i = 0; i < 8; ++i) EXPECT_NEAR(up.data<float>()[i], first_row[i], 1e-5f);
  EXPECT_NEAR(up.data<float>()[63], 16.52734375f, 1e-5f);

  expect_tensor_near(
      resize(onnx_example_input(), {.scales = scales_of({1, 1, 0.8f, 0.8f})},
             {{"mode", std::string("cubic")}}),
      floats({1, 1, 3, 3}, {1.47119140625f, 2.78125f, 4.08251953125f, 6.71142578125f, 8.021484375f,
                            9.32275390625f, 11.91650390625f, 13.2265625f, 14.52783203125f}),
      1e-5f, 1e-5f);

  // a = -0.5 with exclude_outside: taps beyond the edge drop out and the rest renormalise.
  const Tensor excluded = resize(onnx_example_input(), {.scales = scales_of({1, 1, 2, 2})},
                                 {{"mode", std::string("cubic")},
                                  {"cubic_coeff_a", -0.5f},
                                  {"exclude_outside", std::int64_t{1}}});
  EXPECT_NEAR(excluded.data<float>()[0], 0.5588235259f, 1e-5f);
  EXPECT_NEAR(excluded.data<float>()[9], 1.8394160270f, 1e-5f);
  EXPECT_NEAR(excluded.data<float>()[27], 7.25f, 1e-5f);
}

TEST(Resize, TensorflowModes) {
  // tf_half_pixel_for_nn: x = (i + 0.5) / scale, then nearest.
  expect_tensor_near(
      resize(onnx_example_input(), {.sizes = int64s({1, 1, 3, 2})},
             {{"mode", std::string("nearest")},
              {"coordinate_transformation_mode", std::string("tf_half_pixel_for_nn")}}),
      floats({1, 1, 3, 2}, {6, 8, 10, 12, 14, 16}));
  // tf_crop_and_resize: coordinates outside the input take extrapolation_value.
  expect_tensor_near(resize(onnx_example_input(),
                            {.sizes = int64s({1, 1, 3, 3}),
                             .roi = floats({8}, {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f})},
                            {{"mode", std::string("linear")},
                             {"coordinate_transformation_mode", std::string("tf_crop_and_resize")},
                             {"extrapolation_value", 10.f}}),
                     floats({1, 1, 3, 3}, {7.6f, 10, 10, 12.4f, 10, 10, 10, 10, 10}), 1e-5f, 1e-5f);
}

TEST(Resize, OnlyWidthResized) {
  expect_tensor_near(resize(floats({1, 1, 2, 2}, {1, 2, 3, 4}), {.scales = scales_of({1, 1, 1, 2})},
                            linear("half_pixel")),
                     floats({1, 1, 2, 4}, {1, 1.25f, 1.75f, 2, 3, 3.25f, 3.75f, 4}));
}

TEST(Resize, OneSpatialAxis) {
  // [N, C, W] linear with align_corners: x = i * 2 / 4.
  expect_tensor_near(
      resize(iota<float>({1, 2, 3}), {.sizes = int64s({1, 2, 5})}, linear("align_corners")),
      floats({1, 2, 5}, {0, 0.5f, 1, 1.5f, 2, 3, 3.5f, 4, 4.5f, 5}));
}

TEST(Resize, TrilinearVolume) {
  // iota over [2, 2, 2] is f(z, y, x) = 4z + 2y + x, linear, so trilinear interpolation at the
  // half-way points of align_corners is exact: f(z / 2, y / 2, x / 2).
  const Tensor out = resize(iota<float>({1, 1, 2, 2, 2}), {.sizes = int64s({1, 1, 3, 3, 3})},
                            linear("align_corners"));
  std::vector<float> expected;
  for (int z = 0; z < 3; ++z) {
    for (int y = 0; y < 3; ++y) {
      for (int x = 0; x < 3; ++x) expected.push_back(2.f * z + y + 0.5f * x);
    }
  }
  expect_tensor_near(out, floats({1, 1, 3, 3, 3}, expected));
}

TEST(Resize, BatchAxisResized) {
  expect_tensor_near(
      resize(iota<float>({2, 1, 1, 2}), {.scales = scales_of({2, 1, 1, 1})}, kPytorchNearest),
      floats({4, 1, 1, 2}, {0, 1, 0, 1, 2, 3, 2, 3}));
}

TEST(Resize, UnitScalesCopy) {
  const Tensor x = random_tensor({2, 3, 5, 7}, 11);
  expect_tensor_near(resize(x, {.scales = scales_of({1, 1, 1, 1})}, linear("half_pixel")), x);
  expect_tensor_near(resize(x, {.sizes = int64s({2, 3, 5, 7})}, {{"mode", std::string("cubic")}}),
                     x);
}

// Bilinear half_pixel written out directly: the definition, not the kernel's tables.
Tensor naive_bilinear(const Tensor& x, std::int64_t out_h, std::int64_t out_w) {
  const Shape& s = x.shape();
  const std::int64_t planes = s[0] * s[1], in_h = s[2], in_w = s[3];
  Tensor out(DType::kFloat32, {s[0], s[1], out_h, out_w});
  auto source = [](std::int64_t i, std::int64_t in, std::int64_t out_len, std::int64_t& lo,
                   std::int64_t& hi, double& frac) {
    const double c = std::max(0.0, (i + 0.5) * in / out_len - 0.5);
    lo = std::min<std::int64_t>(static_cast<std::int64_t>(c), in - 1);
    hi = std::min<std::int64_t>(lo + 1, in - 1);
    frac = c - static_cast<double>(lo);
  };
  for (std::int64_t p = 0; p < planes; ++p) {
    const float* src = x.data<float>() + p * in_h * in_w;
    for (std::int64_t y = 0; y < out_h; ++y) {
      std::int64_t y0, y1, x0, x1;
      double fy, fx;
      source(y, in_h, out_h, y0, y1, fy);
      for (std::int64_t xo = 0; xo < out_w; ++xo) {
        source(xo, in_w, out_w, x0, x1, fx);
        const double top = src[y0 * in_w + x0] * (1 - fx) + src[y0 * in_w + x1] * fx;
        const double bottom = src[y1 * in_w + x0] * (1 - fx) + src[y1 * in_w + x1] * fx;
        out.data<float>()[(p * out_h + y) * out_w + xo] =
            static_cast<float>(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return out;
}

// Runs the Resize reference kernel with a given thread count.
Tensor resize_on_threads(const Tensor& x, const Tensor& sizes, const ir::Attributes& attributes,
                         int threads) {
  SingleNodeGraph g(OpKind::kResize, resize_node_inputs(x, {.sizes = sizes}), attributes);
  std::string why_not;
  kernels::KernelOptions options;
  options.threads = threads;
  auto kernel = kernels::op_definition(OpKind::kResize).reference(g.node(), options, why_not);
  EXPECT_NE(kernel, nullptr) << why_not;
  const std::vector<Tensor> inputs = {x, Tensor(), Tensor(), sizes};
  std::vector<Tensor> outputs = {Tensor(DType::kFloat32, g.node().output(0)->shape())};
  kernel->run(inputs, outputs);
  return outputs[0];
}

TEST(Resize, LargeBilinearMatchesDefinition) {
  const Tensor x = random_tensor({2, 3, 37, 41}, 5);
  expect_tensor_near(resize_on_threads(x, int64s({2, 3, 74, 61}), linear("half_pixel"), 1),
                     naive_bilinear(x, 74, 61), 1e-5f, 1e-5f);
  expect_tensor_near(resize_on_threads(x, int64s({2, 3, 20, 13}), linear("half_pixel"), 1),
                     naive_bilinear(x, 20, 13), 1e-5f, 1e-5f);
}

TEST(Resize, ResultDoesNotDependOnThreadCount) {
  const Tensor x = random_tensor({2, 5, 33, 47}, 6);
  const std::vector<ir::Attributes> modes = {kPytorchNearest,
                                             linear("pytorch_half_pixel"),
                                             linear("align_corners"),
                                             {{"mode", std::string("cubic")}}};
  for (const ir::Attributes& attributes : modes) {
    for (const Tensor& sizes :
         {int64s({2, 5, 99, 94}), int64s({2, 5, 17, 30}), int64s({4, 5, 33, 60})}) {
      const Tensor one = resize_on_threads(x, sizes, attributes, 1);
      const Tensor three = resize_on_threads(x, sizes, attributes, 3);
      ASSERT_EQ(one.shape(), three.shape());
      EXPECT_EQ(std::memcmp(one.raw(), three.raw(), one.size_bytes()), 0)
          << ::testing::PrintToString(sizes.to_int64_vector());
    }
  }
}

TEST(Resize, BadInputsAreErrors) {
  const Tensor x = iota<float>({1, 1, 2, 2});
  expect_node_error([&] { resize(x, {}, {}); }, "exactly one of scales and sizes");
  expect_node_error(
      [&] {
        resize(x, {.scales = scales_of({1, 1, 2, 2}), .sizes = int64s({1, 1, 4, 4})}, {});
      },
      "got both");
  expect_node_error(
      [&] {
        resize(x, {.scales = scales_of({2, 2})}, {});
      },
      "scales has 2 entries for the 4 dimensions");
  expect_node_error(
      [&] {
        resize(x, {.scales = scales_of({1, 1, 0, 2})}, {});
      },
      "scales[2] = 0 must be positive");
  expect_node_error(
      [&] {
        resize(x, {.sizes = int64s({1, 1, -2, 2})}, {});
      },
      "sizes[2] = -2 is negative");
  expect_node_error(
      [&] {
        resize(x, {.scales = scales_of({1, 1, 2, 2})}, {{"mode", std::string("area")}});
      },
      "mode = 'area' is not supported (expected one of nearest, linear, cubic)");
  expect_node_error(
      [&] {
        resize(x, {.scales = scales_of({1, 1, 2, 2})},
               {{"coordinate_transformation_mode", std::string("half_pixel_symmetric")}});
      },
      "coordinate_transformation_mode = 'half_pixel_symmetric' is not supported");
  expect_node_error(
      [&] {
        resize(x, {.scales = scales_of({1, 1, 2, 2})}, {{"nearest_mode", std::string("round")}});
      },
      "nearest_mode = 'round'");
  expect_node_error(
      [&] {
        resize(x, {.scales = scales_of({1, 1, 2, 2})}, {{"antialias", std::int64_t{1}}});
      },
      "antialias");
  expect_node_error(
      [&] {
        resize(x, {.sizes = int64s({1, 1, 2, 2})},
               {{"coordinate_transformation_mode", std::string("tf_crop_and_resize")}});
      },
      "needs a constant floating roi");
  expect_node_error(
      [&] {
        resize(iota<std::int64_t>({1, 1, 2, 2}), {.scales = scales_of({1, 1, 2, 2})}, {});
      },
      "supports float32 only");
  expect_node_error(
      [&] {
        run_reference(OpKind::kResize, {runtime_input(x), absent_input(), absent_input(),
                                        runtime_input(int64s({1, 1, 4, 4}))});
      },
      "must be a constant");
}

}  // namespace
}  // namespace kiln::testing
