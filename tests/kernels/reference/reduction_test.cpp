// Reference kernels of the Reduce* ops and ArgMax.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <set>

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
using kiln::testing::NodeInput;
using kiln::testing::random_tensor;
using kiln::testing::run1;
using kiln::testing::run_reference;
using kiln::testing::runtime_input;
using ::testing::HasSubstr;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// The obvious reduction: visit every input element, fold it into the output element it maps to
// (in double), then finish each output.
Tensor naive_reduce(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims,
                    double init, const std::function<double(double, double)>& fold,
                    const std::function<double(double, std::int64_t)>& finish) {
  const Shape& shape = x.shape();
  std::set<std::size_t> reduced;
  for (std::int64_t axis : axes) reduced.insert(axis < 0 ? axis + shape.rank() : axis);
  if (axes.empty()) {
    for (std::size_t d = 0; d < shape.rank(); ++d) reduced.insert(d);
  }
  std::vector<std::int64_t> kept_dims;
  std::vector<std::int64_t> out_dims;
  std::int64_t count = 1;
  for (std::size_t d = 0; d < shape.rank(); ++d) {
    if (reduced.contains(d)) {
      count *= shape[d];
      if (keepdims) out_dims.push_back(1);
    } else {
      kept_dims.push_back(shape[d]);
      out_dims.push_back(shape[d]);
    }
  }
  const Shape kept(kept_dims);
  std::vector<double> acc(static_cast<std::size_t>(kept.numel()), init);
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    std::int64_t rest = i;
    std::int64_t out = 0;
    std::int64_t stride = 1;
    for (std::size_t d = shape.rank(); d-- > 0;) {
      const std::int64_t index = rest % shape[d];
      rest /= shape[d];
      if (!reduced.contains(d)) {
        out += index * stride;
        stride *= shape[d];
      }
    }
    acc[out] = fold(acc[out], x.data<float>()[i]);
  }
  Tensor result(DType::kFloat32, Shape(out_dims));
  for (std::size_t o = 0; o < acc.size(); ++o) {
    result.data<float>()[o] = static_cast<float>(finish(acc[o], count));
  }
  return result;
}

struct Reduction {
  OpKind op;
  double init;
  std::function<double(double, double)> fold;
  std::function<double(double, std::int64_t)> finish;
};

std::vector<Reduction> all_reductions() {
  auto same = [](double a, std::int64_t) { return a; };
  return {
      {OpKind::kReduceSum, 0.0, std::plus<double>(), same},
      {OpKind::kReduceMean, 0.0, std::plus<double>(),
       [](double a, std::int64_t n) { return a / n; }},
      {OpKind::kReduceProd, 1.0, std::multiplies<double>(), same},
      {OpKind::kReduceMax, -INFINITY, [](double a, double x) { return std::max(a, x); }, same},
      {OpKind::kReduceMin, INFINITY, [](double a, double x) { return std::min(a, x); }, same},
      {OpKind::kReduceL2, 0.0, [](double a, double x) { return a + x * x; },
       [](double a, std::int64_t) { return std::sqrt(a); }},
  };
}

TEST(ReduceTest, EveryOpOverAxisSetsAndKeepdims) {
  // Values near 1 keep ReduceProd well inside float range.
  const Tensor x = random_tensor({3, 4, 5, 6}, 17, 0.5f, 1.5f);
  const std::vector<std::vector<std::int64_t>> axis_sets = {
      {}, {0}, {1}, {3}, {-1}, {0, 2}, {1, 3}, {-3, -2}, {0, 1, 2, 3}, {2, 0}, {0, 3}};
  for (const Reduction& r : all_reductions()) {
    for (const auto& axes : axis_sets) {
      for (std::int64_t keepdims : {0, 1}) {
        SCOPED_TRACE(fmt::format("{} axes [{}] keepdims {}", ir::op_name(r.op),
                                 fmt::join(axes, ","), keepdims));
        ir::Attributes attributes{{"keepdims", keepdims}};
        if (!axes.empty()) attributes["axes"] = axes;
        expect_tensor_near(run1(r.op, {runtime_input(x)}, attributes),
                           naive_reduce(x, axes, keepdims == 1, r.init, r.fold, r.finish), 2e-6f,
                           1e-6f);
      }
    }
  }
}

TEST(ReduceTest, HandComputedSum) {
  // [2,3,2]: 0..11.
  const Tensor x = f32({2, 3, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  expect_tensor_near(
      run1(OpKind::kReduceSum, {runtime_input(x)}, {{"axes", std::vector<std::int64_t>{0, 2}}}),
      f32({1, 3, 1}, {14, 22, 30}));
  expect_tensor_near(
      run1(OpKind::kReduceSum, {runtime_input(x)},
           {{"axes", std::vector<std::int64_t>{0, 2}}, {"keepdims", std::int64_t{0}}}),
      f32({3}, {14, 22, 30}));
  expect_tensor_near(
      run1(OpKind::kReduceSum, {runtime_input(x)}, {{"axes", std::vector<std::int64_t>{1}}}),
      f32({2, 1, 2}, {6, 9, 24, 27}));
  expect_tensor_near(run1(OpKind::kReduceSum, {runtime_input(x)}, {{"keepdims", std::int64_t{0}}}),
                     f32({}, {66}));
  expect_tensor_near(run1(OpKind::kReduceSum, {runtime_input(x)}), f32({1, 1, 1}, {66}));
  expect_tensor_near(
      run1(OpKind::kReduceMean, {runtime_input(x)}, {{"axes", std::vector<std::int64_t>{-1}}}),
      f32({2, 3, 1}, {0.5f, 2.5f, 4.5f, 6.5f, 8.5f, 10.5f}));
  // noop_with_empty_axes with no axes leaves the input as it is, even for ReduceL2.
  const ir::Attributes noop{{"noop_with_empty_axes", std::int64_t{1}}};
  const Tensor signed_x = f32({3}, {-1, 2, -3});
  expect_tensor_near(run1(OpKind::kReduceSum, {runtime_input(signed_x)}, noop), signed_x);
  expect_tensor_near(run1(OpKind::kReduceL2, {runtime_input(signed_x)}, noop), signed_x);
  // A size-1 reduced axis still applies the op.
  expect_tensor_near(run1(OpKind::kReduceL2, {runtime_input(f32({3, 1}, {-1, 2, -3}))},
                          {{"axes", std::vector<std::int64_t>{1}}}),
                     f32({3, 1}, {1, 2, 3}));
}

TEST(ReduceTest, Int64) {
  const Tensor x = i64({2, 3}, {1, -2, 3, 4, 5, -6});
  const ir::Attributes rows{{"axes", std::vector<std::int64_t>{1}}, {"keepdims", std::int64_t{0}}};
  expect_tensor_near(run1(OpKind::kReduceSum, {runtime_input(x)}, rows), i64({2}, {2, 3}));
  expect_tensor_near(run1(OpKind::kReduceProd, {runtime_input(x)}, rows), i64({2}, {-6, -120}));
  expect_tensor_near(run1(OpKind::kReduceMax, {runtime_input(x)}, rows), i64({2}, {3, 5}));
  expect_tensor_near(run1(OpKind::kReduceMin, {runtime_input(x)}, rows), i64({2}, {-2, -6}));
  expect_tensor_near(run1(OpKind::kReduceProd, {constant_input(i64({4}, {1, 3, 224, 224}))},
                          {{"keepdims", std::int64_t{0}}}),
                     i64({}, {150528}));
}

TEST(ReduceTest, NaNAndEmptyAxes) {
  const Tensor x = f32({2, 2}, {1.f, kNaN, 3.f, 4.f});
  const ir::Attributes rows{{"axes", std::vector<std::int64_t>{1}}};
  expect_tensor_near(run1(OpKind::kReduceMax, {runtime_input(x)}, rows), f32({2, 1}, {kNaN, 4.f}));
  expect_tensor_near(run1(OpKind::kReduceMin, {runtime_input(x)}, rows), f32({2, 1}, {kNaN, 3.f}));
  // Reducing an empty axis gives each op's identity.
  const Tensor empty(DType::kFloat32, {2, 0});
  expect_tensor_near(run1(OpKind::kReduceSum, {runtime_input(empty)}, rows), f32({2, 1}, {0, 0}));
  expect_tensor_near(run1(OpKind::kReduceProd, {runtime_input(empty)}, rows), f32({2, 1}, {1, 1}));
  expect_tensor_near(run1(OpKind::kReduceMax, {runtime_input(empty)}, rows),
                     f32({2, 1}, {-kInf, -kInf}));
}

TEST(ReduceTest, LargeReductionsRunInParallel) {
  const Tensor rows = random_tensor({97, 1031}, 23);
  const Reduction mean = all_reductions()[1];
  expect_tensor_near(
      run1(OpKind::kReduceMean, {runtime_input(rows)}, {{"axes", std::vector<std::int64_t>{1}}}),
      naive_reduce(rows, {1}, true, mean.init, mean.fold, mean.finish), 1e-5f, 1e-6f);
  const Tensor columns = random_tensor({6, 301, 97}, 29);
  expect_tensor_near(
      run1(OpKind::kReduceMean, {runtime_input(columns)}, {{"axes", std::vector<std::int64_t>{1}}}),
      naive_reduce(columns, {1}, true, mean.init, mean.fold, mean.finish), 1e-5f, 1e-6f);
  expect_tensor_near(run1(OpKind::kReduceMean, {runtime_input(columns)},
                          {{"axes", std::vector<std::int64_t>{0, 2}}}),
                     naive_reduce(columns, {0, 2}, true, mean.init, mean.fold, mean.finish), 1e-5f,
                     1e-6f);
}

TEST(ReduceTest, Errors) {
  const Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  expect_node_error(
      [&] {
        run1(OpKind::kReduceSum, {runtime_input(x)}, {{"axes", std::vector<std::int64_t>{2}}});
      },
      "axis 2 in attribute axes is out of range for an input of rank 2");
  expect_node_error(
      [&] {
        run1(OpKind::kReduceMax, {runtime_input(x)}, {{"axes", std::vector<std::int64_t>{-3}}});
      },
      "axis -3 in attribute axes is out of range");
  expect_node_error(
      [&] {
        run1(OpKind::kReduceMin, {runtime_input(x)}, {{"axes", std::vector<std::int64_t>{1, -1}}});
      },
      "names axis 1 twice");
  expect_node_error(
      [&] {
        run1(OpKind::kReduceSum, {runtime_input(x)}, {{"keepdims", std::int64_t{2}}});
      },
      "attribute keepdims is 2");
  expect_node_error(
      [] {
        run1(OpKind::kReduceMean, {runtime_input(i64({2}, {1, 2}))});
      },
      "is int64; ReduceMean supports float32");
  expect_node_error(
      [] {
        run1(OpKind::kReduceL2, {runtime_input(i64({2}, {1, 2}))});
      },
      "ReduceL2 supports float32");
  expect_node_error(
      [&] {
        run1(OpKind::kReduceSum, {runtime_input(x), constant_input(i64({1}, {0}))});
      },
      "expects 1 input, got 2");
}

// ---- ArgMax ----

TEST(ArgMaxTest, AxesKeepdimsAndTies) {
  const Tensor x = f32({2, 4}, {1, 5, 5, 2, 7, 0, 7, 7});
  expect_tensor_near(run1(OpKind::kArgMax, {runtime_input(x)}, {{"axis", std::int64_t{1}}}),
                     i64({2, 1}, {1, 0}));
  expect_tensor_near(run1(OpKind::kArgMax, {runtime_input(x)},
                          {{"axis", std::int64_t{-1}},
                           {"select_last_index", std::int64_t{1}},
                           {"keepdims", std::int64_t{0}}}),
                     i64({2}, {2, 3}));
  expect_tensor_near(run1(OpKind::kArgMax, {runtime_input(x)}), i64({1, 4}, {1, 0, 1, 1}));
  expect_tensor_near(
      run1(OpKind::kArgMax, {runtime_input(x)}, {{"select_last_index", std::int64_t{1}}}),
      i64({1, 4}, {1, 0, 1, 1}));
  expect_tensor_near(run1(OpKind::kArgMax, {runtime_input(f32({2, 2}, {3, 3, 3, 9}))},
                          {{"select_last_index", std::int64_t{1}}}),
                     i64({1, 2}, {1, 1}));
  expect_tensor_near(run1(OpKind::kArgMax, {runtime_input(f32({2, 2}, {3, 3, 3, 9}))}),
                     i64({1, 2}, {0, 1}));
  // Middle axis of a 3-D tensor: [2,3,2].
  const Tensor y = f32({2, 3, 2}, {0, 9, 5, 1, 2, 3, 4, 4, 8, 6, 8, 7});
  expect_tensor_near(run1(OpKind::kArgMax, {runtime_input(y)},
                          {{"axis", std::int64_t{1}}, {"keepdims", std::int64_t{0}}}),
                     i64({2, 2}, {1, 0, 1, 2}));
  expect_tensor_near(run1(OpKind::kArgMax, {runtime_input(i64({3}, {-5, 40, 2}))}, {}),
                     i64({1}, {1}));
  // NaN counts as the largest, as in numpy.
  expect_tensor_near(run1(OpKind::kArgMax, {runtime_input(f32({4}, {1, kNaN, 3, kNaN}))}),
                     i64({1}, {1}));
}

TEST(ArgMaxTest, LargeInputRunsInParallel) {
  const Tensor x = random_tensor({4000, 37}, 31);
  const Tensor got = run1(OpKind::kArgMax, {runtime_input(x)},
                          {{"axis", std::int64_t{1}}, {"keepdims", std::int64_t{0}}});
  for (std::int64_t r = 0; r < 4000; ++r) {
    const float* row = x.data<float>() + r * 37;
    ASSERT_EQ(got.data<std::int64_t>()[r], std::max_element(row, row + 37) - row) << "row " << r;
  }
}

TEST(ArgMaxTest, Errors) {
  expect_node_error(
      [] {
        run1(OpKind::kArgMax, {runtime_input(f32({2, 2}, {1, 2, 3, 4}))},
             {{"axis", std::int64_t{2}}});
      },
      "attribute axis = 2 is out of range for rank 2");
  expect_node_error(
      [] {
        run1(OpKind::kArgMax, {runtime_input(Tensor(DType::kFloat32, {2, 0}))},
             {{"axis", std::int64_t{1}}});
      },
      "is empty");
  expect_node_error([] { run1(OpKind::kArgMax, {runtime_input(f32({}, {1}))}); }, "rank 1 or more");
  expect_node_error([] { run1(OpKind::kArgMax, {runtime_input(make_tensor<bool>({1}, {true}))}); },
                    "ArgMax supports float32, int64 or int32");
}

}  // namespace
}  // namespace kiln
