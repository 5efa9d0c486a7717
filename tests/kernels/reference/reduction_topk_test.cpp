// Reference kernel of TopK.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>

#include "kiln/core/error.h"
#include "testing/single_node.h"

namespace kiln {
namespace {

using ir::OpKind;
using kiln::testing::constant_input;
using kiln::testing::expect_node_error;
using kiln::testing::expect_tensor_near;
using kiln::testing::f32;
using kiln::testing::i64;
using kiln::testing::make_tensor;
using kiln::testing::random_tensor;
using kiln::testing::run_reference;
using kiln::testing::runtime_input;
using ::testing::HasSubstr;

// TopK's errors must name the node and its op.
void expect_topk_error(const std::function<void()>& body, const std::string& fragment) {
  expect_node_error(body, fragment, "node 'node_under_test' (TopK)");
}

std::vector<Tensor> topk(const Tensor& x, std::int64_t k, ir::Attributes attributes = {}) {
  return run_reference(OpKind::kTopK, {runtime_input(x), constant_input(i64({1}, {k}))},
                       std::move(attributes), 2);
}

TEST(TopKTest, LargestAlongLastAxis) {
  const Tensor x = f32({2, 5}, {3, 1, 4, 1, 5, 9, 2, 6, 5, 3});
  const std::vector<Tensor> out = topk(x, 3);
  expect_tensor_near(out[0], f32({2, 3}, {5, 4, 3, 9, 6, 5}));
  expect_tensor_near(out[1], i64({2, 3}, {4, 2, 0, 0, 2, 3}));
}

TEST(TopKTest, TiesGoToTheLowerIndex) {
  const Tensor x = f32({1, 6}, {2, 7, 2, 7, 2, 7});
  std::vector<Tensor> out = topk(x, 4);
  expect_tensor_near(out[0], f32({1, 4}, {7, 7, 7, 2}));
  expect_tensor_near(out[1], i64({1, 4}, {1, 3, 5, 0}));
  out = topk(x, 4, {{"largest", std::int64_t{0}}});
  expect_tensor_near(out[0], f32({1, 4}, {2, 2, 2, 7}));
  expect_tensor_near(out[1], i64({1, 4}, {0, 2, 4, 1}));
}

TEST(TopKTest, SmallestAlongMiddleAxis) {
  // [2,3,2], axis 1, k 2, smallest first.
  const Tensor x = f32({2, 3, 2}, {5, 0, 1, 8, 3, 2, 6, 6, 4, 9, 7, 1});
  const std::vector<Tensor> out =
      topk(x, 2, {{"axis", std::int64_t{1}}, {"largest", std::int64_t{0}}});
  expect_tensor_near(out[0], f32({2, 2, 2}, {1, 0, 3, 2, 4, 1, 6, 6}));
  expect_tensor_near(out[1], i64({2, 2, 2}, {1, 0, 2, 2, 1, 2, 0, 0}));
}

TEST(TopKTest, Int64KZeroAndWholeAxis) {
  const Tensor x = i64({4}, {10, -3, 42, 7});
  std::vector<Tensor> out = topk(x, 4);
  expect_tensor_near(out[0], i64({4}, {42, 10, 7, -3}));
  expect_tensor_near(out[1], i64({4}, {2, 0, 3, 1}));
  out = topk(x, 0);
  EXPECT_EQ(out[0].shape(), Shape({0}));
  EXPECT_EQ(out[1].shape(), Shape({0}));
  // NaN counts as the largest value.
  out = topk(f32({3}, {1.f, std::numeric_limits<float>::quiet_NaN(), 2.f}), 2);
  EXPECT_TRUE(std::isnan(out[0].data<float>()[0]));
  expect_tensor_near(out[1], i64({2}, {1, 2}));
}

TEST(TopKTest, ManyRowsMatchAStableSort) {
  // Few distinct values, so ties are everywhere.
  Tensor x = random_tensor({500, 41}, 3, 0.f, 8.f);
  for (float& v : x.span<float>()) v = std::floor(v);
  const std::int64_t k = 9;
  const std::vector<Tensor> out = topk(x, k);
  for (std::int64_t r = 0; r < 500; ++r) {
    const float* row = x.data<float>() + r * 41;
    std::vector<std::int64_t> order(41);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return row[a] > row[b]; });
    for (std::int64_t j = 0; j < k; ++j) {
      ASSERT_EQ(out[1].data<std::int64_t>()[r * k + j], order[j]) << "row " << r << " rank " << j;
      ASSERT_EQ(out[0].data<float>()[r * k + j], row[order[j]]);
    }
  }
}

TEST(TopKTest, Errors) {
  const Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  expect_topk_error([&] { topk(x, 4); }, "k = 4 is out of range for axis 1 of size 3");
  expect_topk_error([&] { topk(x, -1); }, "k = -1 is out of range");
  expect_topk_error(
      [&] {
        topk(x, 1, {{"axis", std::int64_t{2}}});
      },
      "attribute axis = 2 is out of range");
  expect_topk_error(
      [&] {
        run_reference(OpKind::kTopK, {runtime_input(x), runtime_input(i64({1}, {1}))}, {}, 2);
      },
      "must be a constant");
  expect_topk_error(
      [&] {
        run_reference(OpKind::kTopK, {runtime_input(x), constant_input(i64({2}, {1, 1}))}, {}, 2);
      },
      "K) must hold one value");
  expect_topk_error(
      [&] {
        run_reference(OpKind::kTopK, {runtime_input(x), constant_input(f32({1}, {1}))}, {}, 2);
      },
      "K) is float32");
  expect_topk_error([&] { topk(make_tensor<bool>({2}, {true, false}), 1); }, "TopK supports");
}

}  // namespace
}  // namespace kiln
