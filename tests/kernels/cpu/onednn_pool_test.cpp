// oneDNN pooling against the reference kernel: odd geometries (ceil_mode, dilations, asymmetric
// and SAME pads, 1-D to 3-D), real-network shapes, and the declined count_include_pad case.

#include <gtest/gtest.h>

#include "kernels/cpu/onednn_test_helpers.h"

namespace kiln::testing {
namespace {

using ir::OpKind;

struct PoolCase {
  const char* name;
  Shape x;
  ir::Attributes attributes;
};

// oneDNN 2.6 has a JIT pooling kernel for plain NCHW only with 2 or 3 spatial axes, no dilation
// and enough channels (3 channels get its generic kernel); these cases stay within that.
TEST(OnednnPool, OddGeometries) {
  const PoolCase cases[] = {
      {"2d asym",
       {2, 5, 9, 8},
       {{"kernel_shape", ints({3, 2})}, {"strides", ints({2, 3})}, {"pads", ints({1, 0, 0, 1})}}},
      {"2d ceil",
       {2, 5, 9, 9},
       {{"kernel_shape", ints({3, 3})},
        {"strides", ints({2, 2})},
        {"pads", ints({1, 0, 0, 1})},
        {"ceil_mode", int_attr(1)}}},
      // ceil_mode would add a third window per axis, starting in the right pad: dropped.
      {"2d ceil drop",
       {2, 5, 8, 8},
       {{"kernel_shape", ints({2, 2})},
        {"strides", ints({2, 2})},
        {"pads", ints({0, 0, 1, 1})},
        {"ceil_mode", int_attr(1)}}},
      {"2d same upper",
       {1, 9, 7, 9},
       {{"kernel_shape", ints({3, 2})},
        {"strides", ints({2, 2})},
        {"auto_pad", string_attr("SAME_UPPER")}}},
      {"2d same lower",
       {1, 8, 8, 6},
       {{"kernel_shape", ints({2, 3})}, {"auto_pad", string_attr("SAME_LOWER")}}},
      {"3d ceil",
       {1, 16, 5, 6, 7},
       {{"kernel_shape", ints({2, 3, 2})},
        {"strides", ints({2, 2, 3})},
        {"pads", ints({0, 1, 1, 1, 0, 0})},
        {"ceil_mode", int_attr(1)}}},
  };
  for (const PoolCase& c : cases) {
    const std::vector<NodeInput> inputs = {runtime_input(random_tensor(c.x, 1))};
    SCOPED_TRACE(c.name);
    expect_matches_reference(OpKind::kMaxPool, inputs, c.attributes, kernels::cpu::make_onednn_pool,
                             1e-6f);
    expect_matches_reference(OpKind::kAveragePool, inputs, c.attributes,
                             kernels::cpu::make_onednn_pool, 1e-5f);
  }
}

TEST(OnednnPool, CountIncludePadWithoutOverhang) {
  const std::vector<NodeInput> inputs = {runtime_input(random_tensor({2, 8, 9, 9}, 2))};
  expect_matches_reference(OpKind::kAveragePool, inputs,
                           {{"kernel_shape", ints({3, 3})},
                            {"strides", ints({2, 2})},
                            {"pads", ints({1, 1, 1, 1})},
                            {"count_include_pad", int_attr(1)}},
                           kernels::cpu::make_onednn_pool, 1e-5f);
  // ceil_mode whose last window ends exactly at the padding edge: no overhang, still oneDNN.
  expect_matches_reference(OpKind::kAveragePool, inputs,
                           {{"kernel_shape", ints({3, 3})},
                            {"strides", ints({2, 2})},
                            {"pads", ints({1, 1, 1, 1})},
                            {"ceil_mode", int_attr(1)},
                            {"count_include_pad", int_attr(1)}},
                           kernels::cpu::make_onednn_pool, 1e-5f);
}

TEST(OnednnPool, GenericOnednnImplementationsDecline) {
  const ir::Attributes window = {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}};
  // Dilated pooling (oneDNN's ref:any), 1-D pooling and few planes (simple_nchw:any).
  ir::Attributes dilated = window;
  dilated["dilations"] = ints({2, 1});
  expect_declined(OpKind::kMaxPool, {runtime_input(random_tensor({2, 8, 11, 10}, 3))}, dilated,
                  kernels::cpu::make_onednn_pool, "generic implementation (ref:any)");
  expect_declined(OpKind::kAveragePool, {runtime_input(random_tensor({2, 8, 13}, 3))},
                  {{"kernel_shape", ints({3})}, {"strides", ints({2})}},
                  kernels::cpu::make_onednn_pool, "generic implementation (simple_nchw:any)");
  expect_declined(OpKind::kMaxPool, {runtime_input(random_tensor({1, 3, 9, 9}, 3))}, window,
                  kernels::cpu::make_onednn_pool, "generic implementation (simple_nchw:any)");
}

TEST(OnednnPool, CountIncludePadPastTheRightPadDeclines) {
  expect_declined(OpKind::kAveragePool, {runtime_input(random_tensor({1, 2, 8, 8}, 3))},
                  {{"kernel_shape", ints({3, 3})},
                   {"strides", ints({2, 2})},
                   {"pads", ints({1, 1, 1, 1})},
                   {"ceil_mode", int_attr(1)},
                   {"count_include_pad", int_attr(1)}},
                  kernels::cpu::make_onednn_pool, "count_include_pad with a ceil_mode window");
}

TEST(OnednnPool, RealNetworkShapes) {
  const Tensor stem = random_tensor({2, 64, 112, 112}, 4);
  // ResNet stem max pool; GoogLeNet / DPN-style ceil_mode max pool; Inception avg pool.
  expect_matches_reference(
      OpKind::kMaxPool, {runtime_input(stem)},
      {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 1})}},
      kernels::cpu::make_onednn_pool, 1e-6f);
  expect_matches_reference(
      OpKind::kMaxPool, {runtime_input(stem)},
      {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"ceil_mode", int_attr(1)}},
      kernels::cpu::make_onednn_pool, 1e-6f);
  expect_matches_reference(OpKind::kAveragePool,
                           {runtime_input(random_tensor({1, 192, 35, 35}, 5))},
                           {{"kernel_shape", ints({3, 3})}, {"pads", ints({1, 1, 1, 1})}},
                           kernels::cpu::make_onednn_pool, 1e-5f);
  const Tensor features = random_tensor({2, 2048, 7, 7}, 6);
  expect_matches_reference(OpKind::kGlobalAveragePool, {runtime_input(features)}, {},
                           kernels::cpu::make_onednn_pool, 1e-5f);
  expect_matches_reference(OpKind::kGlobalMaxPool, {runtime_input(features)}, {},
                           kernels::cpu::make_onednn_pool, 1e-6f);
  expect_matches_reference(OpKind::kGlobalAveragePool,
                           {runtime_input(random_tensor({1, 64, 3, 4, 5}, 7))}, {},
                           kernels::cpu::make_onednn_pool, 1e-5f);
}

}  // namespace
}  // namespace kiln::testing
