// Reference Conv and ConvTranspose: hand-computed cases (several from the ONNX operator
// documentation), a naive independent oracle on odd geometries, and attribute errors.

#include <gtest/gtest.h>

#include <numeric>

#include "kernels/reference/heavy_test_helpers.h"
#include "kernels/reference/sliding_window_oracle.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

Tensor iota_tensor(Shape shape, float start = 0.f) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::iota(t.data<float>(), t.data<float>() + t.numel(), start);
  return t;
}

Tensor filled(Shape shape, float value) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::fill(t.data<float>(), t.data<float>() + t.numel(), value);
  return t;
}

// ---------------------------------------------------------------- Conv, hand-computed

TEST(ConvReference, OneChannel3x3On4x4WithPads) {
  // x[i][j] = 4i + j, all-ones kernel: each output is the sum of its zero-padded neighbourhood.
  auto y = run_reference(
      OpKind::kConv,
      {runtime_input(iota_tensor({1, 1, 4, 4})), constant_input(filled({1, 1, 3, 3}, 1.f))},
      {{"pads", ints({1, 1, 1, 1})}});
  expect_tensor_near(y[0], make_tensor<float>({1, 1, 4, 4}, {10, 18, 24, 18,  //
                                                             27, 45, 54, 39,  //
                                                             51, 81, 90, 63,  //
                                                             42, 66, 72, 50}));
}

TEST(ConvReference, OnnxDocStridesAndPadding) {
  const Tensor x = iota_tensor({1, 1, 7, 5});
  const Tensor w = filled({1, 1, 3, 3}, 1.f);
  auto padded = run_reference(
      OpKind::kConv, {runtime_input(x), constant_input(w)},
      {{"pads", ints({1, 1, 1, 1})}, {"strides", ints({2, 2})}, {"kernel_shape", ints({3, 3})}});
  expect_tensor_near(padded[0], make_tensor<float>({1, 1, 4, 3}, {12, 27, 24, 63, 108, 81, 123, 198,
                                                                  141, 112, 177, 124}));
  auto unpadded = run_reference(OpKind::kConv, {runtime_input(x), constant_input(w)},
                                {{"strides", ints({2, 2})}});
  expect_tensor_near(unpadded[0], make_tensor<float>({1, 1, 3, 2}, {54, 72, 144, 162, 234, 252}));
  // Asymmetric: pads only on the height axis.
  auto asymmetric = run_reference(OpKind::kConv, {runtime_input(x), constant_input(w)},
                                  {{"pads", ints({1, 0, 1, 0})}, {"strides", ints({2, 2})}});
  expect_tensor_near(asymmetric[0],
                     make_tensor<float>({1, 1, 4, 2}, {21, 33, 99, 117, 189, 207, 171, 183}));
}

TEST(ConvReference, BiasGroupsAndDilation1d) {
  // Two groups of one channel each; dilation 2 taps positions i and i + 2.
  const Tensor x = make_tensor<float>({1, 2, 5}, {1, 2, 3, 4, 5, 10, 20, 30, 40, 50});
  const Tensor w = make_tensor<float>({2, 1, 2}, {1, -1, 2, 1});
  const Tensor b = make_tensor<float>({2}, {100, 1000});
  auto y = run_reference(OpKind::kConv, {runtime_input(x), constant_input(w), constant_input(b)},
                         {{"group", int_attr(2)}, {"dilations", ints({2})}});
  expect_tensor_near(
      y[0], make_tensor<float>({1, 2, 3}, {100 + 1 - 3, 100 + 2 - 4, 100 + 3 - 5, 1000 + 20 + 30,
                                           1000 + 40 + 40, 1000 + 60 + 50}));
}

TEST(ConvReference, SameUpperAndSameLowerPutTheOddPadAtOppositeEnds) {
  // Input 4, kernel 4, stride 1: output 4, total pad 3: UPPER pads (1, 2), LOWER pads (2, 1).
  const Tensor x = make_tensor<float>({1, 1, 4}, {1, 2, 3, 4});
  const Tensor w = make_tensor<float>({1, 1, 4}, {1, 10, 100, 1000});
  auto upper = run_reference(OpKind::kConv, {runtime_input(x), constant_input(w)},
                             {{"auto_pad", string_attr("SAME_UPPER")}});
  // y[o] = sum_k x[o - 1 + k] * w[k]
  expect_tensor_near(
      upper[0], make_tensor<float>(
                    {1, 1, 4}, {10 * 1 + 100 * 2 + 1000 * 3, 1 * 1 + 10 * 2 + 100 * 3 + 1000 * 4,
                                1 * 2 + 10 * 3 + 100 * 4, 1 * 3 + 10 * 4}));
  auto lower = run_reference(OpKind::kConv, {runtime_input(x), constant_input(w)},
                             {{"auto_pad", string_attr("SAME_LOWER")}});
  // y[o] = sum_k x[o - 2 + k] * w[k]
  expect_tensor_near(
      lower[0], make_tensor<float>(
                    {1, 1, 4}, {100 * 1 + 1000 * 2, 10 * 1 + 100 * 2 + 1000 * 3,
                                1 * 1 + 10 * 2 + 100 * 3 + 1000 * 4, 1 * 2 + 10 * 3 + 100 * 4}));
  auto valid = run_reference(OpKind::kConv, {runtime_input(x), constant_input(w)},
                             {{"auto_pad", string_attr("VALID")}, {"pads", ints({5, 5})}});
  expect_tensor_near(valid[0], make_tensor<float>({1, 1, 1}, {1 + 20 + 300 + 4000}));
}

// ---------------------------------------------------------------- Conv, against the oracle

struct ConvCase {
  const char* name;
  Shape x;
  Shape w;
  std::int64_t group;
  std::vector<std::int64_t> strides, dilations, pads_begin, pads_end;
  bool bias;
};

void check_conv_against_oracle(const ConvCase& c) {
  SCOPED_TRACE(c.name);
  const Tensor x = random_tensor(c.x, 1);
  const Tensor w = random_tensor(c.w, 2);
  const Tensor b = c.bias ? random_tensor({c.w[0]}, 3) : Tensor();
  const std::size_t spatial = c.x.rank() - 2;
  std::vector<std::int64_t> pads = c.pads_begin;
  pads.insert(pads.end(), c.pads_end.begin(), c.pads_end.end());
  WindowSpec spec{std::vector<std::int64_t>(c.w.dims().begin() + 2, c.w.dims().end()),
                  c.strides,
                  c.dilations,
                  c.pads_begin,
                  {}};
  for (std::size_t i = 0; i < spatial; ++i) {
    const std::int64_t extent = (spec.kernel[i] - 1) * c.dilations[i] + 1;
    spec.out.push_back((c.x[i + 2] + pads[i] + pads[i + spatial] - extent) / c.strides[i] + 1);
  }
  auto y = run_reference(
      OpKind::kConv,
      {runtime_input(x), constant_input(w), c.bias ? constant_input(b) : absent_input()},
      {{"group", int_attr(c.group)},
       {"strides", ir::Attribute(c.strides)},
       {"dilations", ir::Attribute(c.dilations)},
       {"pads", ir::Attribute(pads)}});
  expect_close(y[0], oracle_conv(x, w, b, c.group, spec));
}

TEST(ConvReference, MatchesOracleOnOddGeometries) {
  const ConvCase cases[] = {
      {"1d plain", {2, 3, 11}, {5, 3, 3}, 1, {1}, {1}, {1}, {1}, true},
      {"1d stride dilation asym", {1, 4, 17}, {6, 2, 4}, 2, {3}, {2}, {2}, {0}, false},
      {"2d odd", {2, 3, 9, 7}, {4, 3, 3, 2}, 1, {2, 1}, {1, 2}, {1, 0}, {2, 1}, true},
      {"2d depthwise s2", {1, 6, 10, 9}, {6, 1, 5, 5}, 6, {2, 2}, {1, 1}, {1, 2}, {2, 1}, true},
      {"2d grouped 3", {2, 6, 7, 8}, {9, 2, 3, 3}, 3, {1, 1}, {2, 3}, {2, 3}, {2, 3}, false},
      {"2d 1x1 strided", {1, 5, 9, 9}, {7, 5, 1, 1}, 1, {2, 3}, {1, 1}, {0, 0}, {0, 0}, true},
      {"3d", {1, 2, 5, 6, 7}, {3, 2, 2, 3, 3}, 1, {1, 2, 1}, {2, 1, 1}, {1, 0, 1}, {0, 1, 2}, true},
  };
  for (const ConvCase& c : cases) check_conv_against_oracle(c);
}

TEST(ConvReference, KernelShapeIsOptionalAndChecked) {
  const Tensor x = random_tensor({1, 2, 5, 5}, 4);
  const Tensor w = random_tensor({3, 2, 3, 3}, 5);
  auto without = run_reference(OpKind::kConv, {runtime_input(x), constant_input(w)});
  auto with = run_reference(OpKind::kConv, {runtime_input(x), constant_input(w)},
                            {{"kernel_shape", ints({3, 3})}});
  expect_tensor_near(without[0], with[0]);
  EXPECT_EQ(without[0].shape(), (Shape{1, 3, 3, 3}));
}

// ---------------------------------------------------------------- Conv, errors

TEST(ConvReference, BadAttributesAndShapesNameTheNode) {
  const Tensor x = random_tensor({1, 4, 5, 5}, 6);
  expect_infer_error(OpKind::kConv,
                     {runtime_input(x), constant_input(random_tensor({6, 4, 3, 3}, 7))},
                     {{"group", int_attr(3)}}, "group = 3 does not divide the 4 input channels");
  expect_infer_error(OpKind::kConv,
                     {runtime_input(x), constant_input(random_tensor({6, 3, 3, 3}, 7))}, {},
                     "weight W [6,3,3,3] has 3 input channels per group, input X has 4 channels");
  expect_infer_error(
      OpKind::kConv, {runtime_input(x), constant_input(random_tensor({6, 2, 3, 3}, 7))},
      {{"group", int_attr(2)}, {"strides", ints({1})}}, "attribute 'strides' has 1 values");
  expect_infer_error(OpKind::kConv,
                     {runtime_input(x), constant_input(random_tensor({6, 4, 7, 3}, 7))},
                     {{"pads", ints({0, 0, 1, 0})}},
                     "kernel extent 7 (kernel 7, dilation 1) is larger than the padded input 6");
  expect_infer_error(OpKind::kConv,
                     {runtime_input(x), constant_input(random_tensor({6, 4, 3, 3}, 7))},
                     {{"dilations", ints({3, 1})}}, "kernel extent 7 (kernel 3, dilation 3)");
  expect_infer_error(OpKind::kConv,
                     {runtime_input(x), constant_input(random_tensor({6, 4, 3, 3}, 7))},
                     {{"kernel_shape", ints({3, 2})}}, "kernel_shape [3,2] does not match");
  expect_infer_error(OpKind::kConv,
                     {runtime_input(x), constant_input(random_tensor({6, 4, 3, 3}, 7)),
                      constant_input(random_tensor({5}, 8))},
                     {}, "bias B has shape [5], expected [6]");
  expect_infer_error(OpKind::kConv,
                     {runtime_input(x), constant_input(random_tensor({6, 4, 3, 3}, 7))},
                     {{"auto_pad", string_attr("SAME")}}, "auto_pad 'SAME' is not one of");
  expect_infer_error(OpKind::kConv, {runtime_input(x), constant_input(random_tensor({6, 4, 3}, 7))},
                     {}, "weight W has shape [6,4,3], expected rank 4");
  expect_infer_error(OpKind::kConv,
                     {runtime_input(x), constant_input(random_tensor({6, 4, 3, 3}, 7))},
                     {{"pads", ints({1, 1, -1, 1})}}, "has a negative value");
  expect_infer_error(OpKind::kConv,
                     {runtime_input(make_tensor<std::int64_t>({1, 1, 2, 2}, {1, 2, 3, 4})),
                      constant_input(random_tensor({1, 1, 1, 1}, 7))},
                     {}, "is int64; kiln computes Conv in float32 only");
  expect_infer_error(
      OpKind::kConv,
      {runtime_input(random_tensor({1, 4}, 9)), constant_input(random_tensor({6, 4}, 7))}, {},
      "kiln supports 1 to 3 spatial axes");
}

// ---------------------------------------------------------------- ConvTranspose, hand-computed

TEST(ConvTransposeReference, OnnxDocExample) {
  const Tensor x = iota_tensor({1, 1, 3, 3});
  const Tensor w = filled({1, 2, 3, 3}, 1.f);
  auto y = run_reference(OpKind::kConvTranspose, {runtime_input(x), constant_input(w)});
  const std::vector<float> plane = {0,  1,  3, 3,  2,  3,  8,  15, 12, 7,  9,  21, 36,
                                    27, 15, 9, 20, 33, 24, 13, 6,  13, 21, 15, 8};
  std::vector<float> both = plane;
  both.insert(both.end(), plane.begin(), plane.end());
  expect_tensor_near(y[0], make_tensor<float>({1, 2, 5, 5}, both));
}

TEST(ConvTransposeReference, OutputPaddingAndPads1d) {
  // Like torch ConvTranspose1d(k=3, s=2): [1,2,3] scatters to [1,1,3,2,5,3,3] (+1 output pad).
  const Tensor x = make_tensor<float>({1, 1, 3}, {1, 2, 3});
  const Tensor w = filled({1, 1, 3}, 1.f);
  auto full = run_reference(OpKind::kConvTranspose, {runtime_input(x), constant_input(w)},
                            {{"strides", ints({2})}, {"output_padding", ints({1})}});
  expect_tensor_near(full[0], make_tensor<float>({1, 1, 8}, {1, 1, 3, 2, 5, 3, 3, 0}));
  auto cropped = run_reference(
      OpKind::kConvTranspose, {runtime_input(x), constant_input(w)},
      {{"strides", ints({2})}, {"output_padding", ints({1})}, {"pads", ints({1, 1})}});
  expect_tensor_near(cropped[0], make_tensor<float>({1, 1, 6}, {1, 3, 2, 5, 3, 3}));
}

TEST(ConvTransposeReference, OutputShapeAndAutoPad) {
  // Unpadded output of [1,2,3] with k=3, s=2 is [1,1,3,2,5,3,3] (7 values).
  const Tensor x = make_tensor<float>({1, 1, 3}, {1, 2, 3});
  const Tensor w = filled({1, 1, 3}, 1.f);
  // output_shape 5: total padding 2, split 1 / 1.
  auto shaped = run_reference(OpKind::kConvTranspose, {runtime_input(x), constant_input(w)},
                              {{"strides", ints({2})}, {"output_shape", ints({5})}});
  expect_tensor_near(shaped[0], make_tensor<float>({1, 1, 5}, {1, 3, 2, 5, 3}));
  // output_shape 6 (odd total 1): NOTSET puts the extra pad at the beginning.
  auto odd = run_reference(OpKind::kConvTranspose, {runtime_input(x), constant_input(w)},
                           {{"strides", ints({2})}, {"output_shape", ints({1, 1, 6})}});
  expect_tensor_near(odd[0], make_tensor<float>({1, 1, 6}, {1, 3, 2, 5, 3, 3}));
  // SAME_UPPER: output = input * stride = 6, total 1, the extra pad at the end.
  auto upper = run_reference(OpKind::kConvTranspose, {runtime_input(x), constant_input(w)},
                             {{"strides", ints({2})}, {"auto_pad", string_attr("SAME_UPPER")}});
  expect_tensor_near(upper[0], make_tensor<float>({1, 1, 6}, {1, 1, 3, 2, 5, 3}));
  auto lower = run_reference(OpKind::kConvTranspose, {runtime_input(x), constant_input(w)},
                             {{"strides", ints({2})}, {"auto_pad", string_attr("SAME_LOWER")}});
  expect_tensor_near(lower[0], make_tensor<float>({1, 1, 6}, {1, 3, 2, 5, 3, 3}));
  // output_shape larger than the kernel reaches: the extra outputs hold the bias only.
  auto larger = run_reference(
      OpKind::kConvTranspose,
      {runtime_input(x), constant_input(w), constant_input(make_tensor<float>({1}, {0.5f}))},
      {{"strides", ints({2})}, {"output_shape", ints({9})}});
  expect_tensor_near(larger[0], make_tensor<float>({1, 1, 9}, {0.5f, 1.5f, 1.5f, 3.5f, 2.5f, 5.5f,
                                                               3.5f, 3.5f, 0.5f}));
}

// ---------------------------------------------------------------- ConvTranspose, oracle

void check_conv_transpose_against_oracle(const ConvCase& c, std::vector<std::int64_t> out_pad) {
  SCOPED_TRACE(c.name);
  const Tensor x = random_tensor(c.x, 11);
  const Tensor w = random_tensor(c.w, 12);
  const std::int64_t out_channels = c.w[1] * c.group;
  const Tensor b = c.bias ? random_tensor({out_channels}, 13) : Tensor();
  const std::size_t spatial = c.x.rank() - 2;
  std::vector<std::int64_t> pads = c.pads_begin;
  pads.insert(pads.end(), c.pads_end.begin(), c.pads_end.end());
  WindowSpec spec{std::vector<std::int64_t>(c.w.dims().begin() + 2, c.w.dims().end()),
                  c.strides,
                  c.dilations,
                  c.pads_begin,
                  {}};
  for (std::size_t i = 0; i < spatial; ++i) {
    const std::int64_t extent = (spec.kernel[i] - 1) * c.dilations[i] + 1;
    spec.out.push_back(c.strides[i] * (c.x[i + 2] - 1) + out_pad[i] + extent - pads[i] -
                       pads[i + spatial]);
  }
  auto y = run_reference(
      OpKind::kConvTranspose,
      {runtime_input(x), constant_input(w), c.bias ? constant_input(b) : absent_input()},
      {{"group", int_attr(c.group)},
       {"strides", ir::Attribute(c.strides)},
       {"dilations", ir::Attribute(c.dilations)},
       {"pads", ir::Attribute(pads)},
       {"output_padding", ir::Attribute(out_pad)}});
  expect_close(y[0], oracle_conv_transpose(x, w, b, c.group, spec));
}

TEST(ConvTransposeReference, MatchesOracleOnOddGeometries) {
  check_conv_transpose_against_oracle({"1d", {2, 3, 7}, {3, 2, 3}, 1, {2}, {1}, {1}, {0}, true},
                                      {1});
  check_conv_transpose_against_oracle(
      {"2d 4x4 s2", {1, 4, 5, 6}, {4, 3, 4, 4}, 1, {2, 2}, {1, 1}, {1, 1}, {1, 1}, true}, {0, 0});
  check_conv_transpose_against_oracle(
      {"2d grouped dilated", {2, 6, 4, 5}, {6, 2, 3, 2}, 3, {3, 2}, {2, 3}, {2, 0}, {1, 2}, false},
      {2, 1});
  check_conv_transpose_against_oracle(
      {"3d", {1, 2, 3, 4, 3}, {2, 3, 2, 3, 2}, 1, {2, 1, 2}, {1, 1, 2}, {0, 1, 1}, {1, 0, 0}, true},
      {1, 0, 1});
}

TEST(ConvTransposeReference, BadAttributesNameTheNode) {
  const Tensor x = random_tensor({1, 4, 5, 5}, 6);
  expect_infer_error(OpKind::kConvTranspose,
                     {runtime_input(x), constant_input(random_tensor({3, 2, 3, 3}, 7))}, {},
                     "weight W [3,2,3,3] has 3 input channels, input X has 4");
  expect_infer_error(OpKind::kConvTranspose,
                     {runtime_input(x), constant_input(random_tensor({4, 2, 3, 3}, 7))},
                     {{"group", int_attr(3)}}, "group = 3 does not divide the 4 input channels");
  expect_infer_error(OpKind::kConvTranspose,
                     {runtime_input(x), constant_input(random_tensor({4, 2, 3, 3}, 7))},
                     {{"strides", ints({2, 2})}, {"output_padding", ints({2, 0})}},
                     "output_padding [2,0] must be smaller than the stride or the dilation");
  expect_infer_error(OpKind::kConvTranspose,
                     {runtime_input(x), constant_input(random_tensor({4, 2, 3, 3}, 7)),
                      constant_input(random_tensor({4}, 8))},
                     {}, "bias B has shape [4], expected [2]");
  expect_infer_error(OpKind::kConvTranspose,
                     {runtime_input(x), constant_input(random_tensor({4, 2, 3, 3}, 7))},
                     {{"pads", ints({4, 0, 4, 0})}}, "leave no output on spatial axis 0");
  expect_infer_error(OpKind::kConvTranspose,
                     {runtime_input(x), constant_input(random_tensor({4, 2, 3, 3}, 7))},
                     {{"output_shape", ints({9, 9, 9})}}, "output_shape [9,9,9] has 3 values");
}

}  // namespace
}  // namespace kiln::testing
