// Reference kernels of the unary, binary and variadic elementwise ops.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "kiln/core/error.h"
#include "testing/single_node.h"

namespace kiln {
namespace {

using ir::OpKind;
using kiln::testing::absent_input;
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
using kiln::testing::SingleNodeGraph;
using ::testing::HasSubstr;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

Tensor i32(Shape shape, std::vector<std::int32_t> values) {
  return make_tensor<std::int32_t>(shape, values);
}
Tensor boolean(Shape shape, std::vector<bool> values) {
  return make_tensor<bool>(shape, values);
}

// Applies `f` in double to every element of a float tensor.
Tensor map_double(const Tensor& x, const std::function<double(double)>& f) {
  Tensor out(DType::kFloat32, x.shape());
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    out.data<float>()[i] = static_cast<float>(f(x.data<float>()[i]));
  }
  return out;
}

// The element of `t` that output index `flat` of `out` reads under numpy broadcasting, computed
// the slow, obvious way.
std::int64_t broadcast_source(const Shape& out, const Shape& in, std::int64_t flat) {
  std::int64_t offset = 0;
  std::int64_t stride = 1;
  for (std::size_t d = out.rank(); d-- > 0;) {
    const std::int64_t index = flat % out[d];
    flat /= out[d];
    const std::size_t lead = out.rank() - in.rank();
    if (d < lead) continue;
    const std::int64_t dim = in[d - lead];
    if (dim != 1) offset += index * stride;
    stride *= dim;
  }
  return offset;
}

template <typename T, typename Out, typename F>
Tensor naive_binary(const Tensor& a, const Tensor& b, const Shape& out_shape, F f) {
  Tensor out(dtype_of<Out>(), out_shape);
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    out.data<Out>()[i] = f(a.data<T>()[broadcast_source(out_shape, a.shape(), i)],
                           b.data<T>()[broadcast_source(out_shape, b.shape(), i)]);
  }
  return out;
}

TEST(ElementwiseFamilyTest, EveryOpOfBothFamiliesIsDefined) {
  // The ops of define_elementwise_ops and define_reduction_ops (families.h).
  const OpKind ops[] = {OpKind::kAbs,         OpKind::kAdd,
                        OpKind::kAnd,         OpKind::kCast,
                        OpKind::kCeil,        OpKind::kClip,
                        OpKind::kCos,         OpKind::kDiv,
                        OpKind::kElu,         OpKind::kEqual,
                        OpKind::kErf,         OpKind::kExp,
                        OpKind::kFloor,       OpKind::kGelu,
                        OpKind::kGreater,     OpKind::kGreaterOrEqual,
                        OpKind::kHardSigmoid, OpKind::kHardSwish,
                        OpKind::kLeakyRelu,   OpKind::kLess,
                        OpKind::kLessOrEqual, OpKind::kLog,
                        OpKind::kMax,         OpKind::kMean,
                        OpKind::kMin,         OpKind::kMul,
                        OpKind::kNeg,         OpKind::kNot,
                        OpKind::kOr,          OpKind::kPRelu,
                        OpKind::kPow,         OpKind::kReciprocal,
                        OpKind::kRelu,        OpKind::kRound,
                        OpKind::kSigmoid,     OpKind::kSign,
                        OpKind::kSilu,        OpKind::kSin,
                        OpKind::kSoftplus,    OpKind::kSqrt,
                        OpKind::kSub,         OpKind::kSum,
                        OpKind::kTanh,        OpKind::kWhere,
                        OpKind::kArgMax,      OpKind::kLayerNormalization,
                        OpKind::kLogSoftmax,  OpKind::kReduceL2,
                        OpKind::kReduceMax,   OpKind::kReduceMean,
                        OpKind::kReduceMin,   OpKind::kReduceProd,
                        OpKind::kReduceSum,   OpKind::kSoftmax,
                        OpKind::kTopK};
  for (OpKind op : ops) {
    EXPECT_NO_THROW(kernels::op_definition(op)) << ir::op_name(op);
  }
}

// ---- Unary float ops against double-precision formulas. ----

struct UnaryCase {
  OpKind op;
  ir::Attributes attributes;
  std::function<double(double)> expected;
};

double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}
double clamp01(double v) {
  return std::min(1.0, std::max(0.0, v));
}

TEST(ElementwiseUnaryTest, FloatOpsMatchFormulas) {
  const std::vector<UnaryCase> cases = {
      {OpKind::kAbs, {}, [](double x) { return std::fabs(x); }},
      {OpKind::kNeg, {}, [](double x) { return -x; }},
      {OpKind::kCeil, {}, [](double x) { return std::ceil(x); }},
      {OpKind::kFloor, {}, [](double x) { return std::floor(x); }},
      {OpKind::kCos, {}, [](double x) { return std::cos(x); }},
      {OpKind::kSin, {}, [](double x) { return std::sin(x); }},
      {OpKind::kErf, {}, [](double x) { return std::erf(x); }},
      {OpKind::kExp, {}, [](double x) { return std::exp(x); }},
      {OpKind::kTanh, {}, [](double x) { return std::tanh(x); }},
      {OpKind::kRelu, {}, [](double x) { return x > 0 ? x : 0.0; }},
      {OpKind::kSigmoid, {}, sigmoid},
      {OpKind::kSilu, {}, [](double x) { return x * sigmoid(x); }},
      {OpKind::kSoftplus, {}, [](double x) { return std::log(1.0 + std::exp(x)); }},
      {OpKind::kSign, {}, [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }},
      {OpKind::kLeakyRelu, {}, [](double x) { return x < 0 ? 0.01 * x : x; }},
      {OpKind::kLeakyRelu, {{"alpha", 0.3f}}, [](double x) { return x < 0 ? 0.3 * x : x; }},
      {OpKind::kElu, {}, [](double x) { return x < 0 ? std::exp(x) - 1.0 : x; }},
      {OpKind::kElu,
       {{"alpha", 2.0f}},
       [](double x) { return x < 0 ? 2.0 * (std::exp(x) - 1) : x; }},
      {OpKind::kHardSigmoid, {}, [](double x) { return clamp01(0.2 * x + 0.5); }},
      {OpKind::kHardSigmoid,
       {{"alpha", 0.5f}, {"beta", 0.25f}},
       [](double x) { return clamp01(0.5 * x + 0.25); }},
      {OpKind::kHardSwish, {}, [](double x) { return x * clamp01(x / 6.0 + 0.5); }},
      {OpKind::kGelu, {}, [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }},
      {OpKind::kGelu,
       {{"approximate", std::string("none")}},
       [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }},
      {OpKind::kGelu,
       {{"approximate", std::string("tanh")}},
       [](double x) {
         return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
       }},
  };
  // 37 values: odd, both signs, and large enough to reach every clamp.
  const Tensor x = random_tensor({37}, 7, -6.f, 6.f);
  for (const UnaryCase& c : cases) {
    SCOPED_TRACE(std::string(ir::op_name(c.op)));
    expect_tensor_near(run1(c.op, {runtime_input(x)}, c.attributes), map_double(x, c.expected),
                       1e-5f, 1e-6f);
  }
}

TEST(ElementwiseUnaryTest, PositiveDomainOps) {
  const Tensor x = random_tensor({3, 5, 7}, 11, 0.01f, 50.f);
  expect_tensor_near(run1(OpKind::kLog, {runtime_input(x)}),
                     map_double(x, [](double v) { return std::log(v); }));
  expect_tensor_near(run1(OpKind::kSqrt, {runtime_input(x)}),
                     map_double(x, [](double v) { return std::sqrt(v); }));
  expect_tensor_near(run1(OpKind::kReciprocal, {runtime_input(x)}),
                     map_double(x, [](double v) { return 1.0 / v; }));
}

TEST(ElementwiseUnaryTest, EdgeValues) {
  // Round is half to even.
  expect_tensor_near(
      run1(OpKind::kRound,
           {runtime_input(f32({8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4f, -2.6f}))}),
      f32({8}, {0.f, 2.f, 2.f, -0.f, -2.f, -2.f, 2.f, -3.f}));
  // Sigmoid and Softplus stay finite at the extremes.
  expect_tensor_near(run1(OpKind::kSigmoid, {runtime_input(f32({3}, {-200.f, 0.f, 200.f}))}),
                     f32({3}, {0.f, 0.5f, 1.f}));
  expect_tensor_near(run1(OpKind::kSoftplus, {runtime_input(f32({3}, {-200.f, 0.f, 200.f}))}),
                     f32({3}, {0.f, static_cast<float>(std::log(2.0)), 200.f}));
  // NaN passes through the activations.
  const Tensor nan = f32({1}, {kNaN});
  for (OpKind op : {OpKind::kRelu, OpKind::kHardSigmoid, OpKind::kHardSwish, OpKind::kSign,
                    OpKind::kLeakyRelu, OpKind::kGelu}) {
    EXPECT_TRUE(std::isnan(run1(op, {runtime_input(nan)}).data<float>()[0])) << ir::op_name(op);
  }
  // Log of zero and of negatives, Reciprocal of zero.
  const Tensor special = run1(OpKind::kLog, {runtime_input(f32({2}, {0.f, -1.f}))});
  EXPECT_EQ(special.data<float>()[0], -kInf);
  EXPECT_TRUE(std::isnan(special.data<float>()[1]));
  EXPECT_EQ(run1(OpKind::kReciprocal, {runtime_input(f32({1}, {0.f}))}).data<float>()[0], kInf);
}

TEST(ElementwiseUnaryTest, IntegerOps) {
  constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
  const Tensor x = i64({5}, {-7, 0, 3, kMin64, 9});
  expect_tensor_near(run1(OpKind::kAbs, {runtime_input(x)}), i64({5}, {7, 0, 3, kMin64, 9}));
  expect_tensor_near(run1(OpKind::kNeg, {runtime_input(x)}), i64({5}, {7, 0, -3, kMin64, -9}));
  expect_tensor_near(run1(OpKind::kSign, {runtime_input(x)}), i64({5}, {-1, 0, 1, -1, 1}));
  const Tensor y = i32({3}, {-4, 0, 5});
  expect_tensor_near(run1(OpKind::kAbs, {runtime_input(y)}), i32({3}, {4, 0, 5}));
  expect_tensor_near(run1(OpKind::kNeg, {runtime_input(y)}), i32({3}, {4, 0, -5}));
  expect_tensor_near(run1(OpKind::kSign, {runtime_input(y)}), i32({3}, {-1, 0, 1}));
}

TEST(ElementwiseUnaryTest, Not) {
  expect_tensor_near(
      run1(OpKind::kNot, {runtime_input(boolean({2, 2}, {true, false, false, true}))}),
      boolean({2, 2}, {false, true, true, false}));
}

TEST(ElementwiseUnaryTest, LargeTensorRunsInParallel) {
  const Tensor x = random_tensor({3, 101, 257}, 5, -4.f, 4.f);  // 77 871 elements
  expect_tensor_near(run1(OpKind::kTanh, {runtime_input(x)}),
                     map_double(x, [](double v) { return std::tanh(v); }));
}

TEST(ElementwiseUnaryTest, Errors) {
  expect_node_error(
      [] {
        run1(OpKind::kSqrt, {runtime_input(i64({2}, {1, 4}))});
      },
      "is int64; Sqrt supports float32");
  expect_node_error([] { run1(OpKind::kNot, {runtime_input(f32({1}, {1.f}))}); },
                    "Not supports bool");
  expect_node_error(
      [] {
        run1(OpKind::kGelu, {runtime_input(f32({1}, {1.f}))},
             {{"approximate", std::string("fast")}});
      },
      "approximate is 'fast'");
  expect_node_error(
      [] {
        run1(OpKind::kRelu, {runtime_input(f32({1}, {1.f})), runtime_input(f32({1}, {1.f}))});
      },
      "expects 1 input, got 2");
  expect_node_error(
      [] {
        run1(OpKind::kLeakyRelu, {runtime_input(f32({1}, {1.f}))}, {{"alpha", std::int64_t{1}}});
      },
      "attribute 'alpha' is int");
}

// ---- Clip ----

TEST(ElementwiseClipTest, OptionalBounds) {
  const Tensor x = f32({6}, {-3.f, -1.f, 0.f, 0.5f, 2.f, kNaN});
  const Tensor low = f32({}, {-1.f});
  const Tensor high = f32({1}, {1.f});
  const Tensor both =
      run1(OpKind::kClip, {runtime_input(x), runtime_input(low), runtime_input(high)});
  expect_tensor_near(both, f32({6}, {-1.f, -1.f, 0.f, 0.5f, 1.f, kNaN}));
  expect_tensor_near(run1(OpKind::kClip, {runtime_input(x), runtime_input(low)}),
                     f32({6}, {-1.f, -1.f, 0.f, 0.5f, 2.f, kNaN}));
  expect_tensor_near(run1(OpKind::kClip, {runtime_input(x), absent_input(), constant_input(high)}),
                     f32({6}, {-3.f, -1.f, 0.f, 0.5f, 1.f, kNaN}));
  expect_tensor_near(run1(OpKind::kClip, {runtime_input(x)}), x);
  const Tensor ints = i64({5}, {-9, -2, 0, 4, 100});
  expect_tensor_near(run1(OpKind::kClip, {runtime_input(ints), runtime_input(i64({}, {-2})),
                                          runtime_input(i64({}, {6}))}),
                     i64({5}, {-2, -2, 0, 4, 6}));
}

TEST(ElementwiseClipTest, Errors) {
  const Tensor x = f32({2}, {1.f, 2.f});
  expect_node_error(
      [&] {
        run1(OpKind::kClip, {runtime_input(x), runtime_input(i64({}, {0}))});
      },
      "input 1 (min");
  expect_node_error(
      [&] {
        run1(OpKind::kClip, {runtime_input(x), runtime_input(f32({2}, {0.f, 1.f}))});
      },
      "must hold one value");
}

// ---- Binary arithmetic and broadcasting ----

TEST(ElementwiseBinaryTest, SameShapeAndScalar) {
  const Tensor a = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = f32({2, 3}, {6, 5, 4, 3, 2, 1});
  expect_tensor_near(run1(OpKind::kAdd, {runtime_input(a), runtime_input(b)}),
                     f32({2, 3}, {7, 7, 7, 7, 7, 7}));
  expect_tensor_near(run1(OpKind::kSub, {runtime_input(a), runtime_input(b)}),
                     f32({2, 3}, {-5, -3, -1, 1, 3, 5}));
  expect_tensor_near(run1(OpKind::kMul, {runtime_input(a), constant_input(f32({}, {2.f}))}),
                     f32({2, 3}, {2, 4, 6, 8, 10, 12}));
  expect_tensor_near(run1(OpKind::kDiv, {constant_input(f32({1}, {6.f})), runtime_input(a)}),
                     f32({2, 3}, {6, 3, 2, 1.5f, 1.2f, 1}));
}

TEST(ElementwiseBinaryTest, BroadcastsLikeNumpy) {
  // [2,1,3] with [4,1] -> [2,4,3].
  const Tensor a = f32({2, 1, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = f32({4, 1}, {10, 20, 30, 40});
  const Tensor sum = run1(OpKind::kAdd, {runtime_input(a), runtime_input(b)});
  ASSERT_EQ(sum.shape(), Shape({2, 4, 3}));
  expect_tensor_near(sum, f32({2, 4, 3}, {11, 12, 13, 21, 22, 23, 31, 32, 33, 41, 42, 43,
                                          14, 15, 16, 24, 25, 26, 34, 35, 36, 44, 45, 46}));

  struct Case {
    Shape a, b;
  };
  const std::vector<Case> cases = {
      {{2, 3, 4, 5}, {3, 1, 1}},           // per channel
      {{2, 3, 4, 5}, {1, 3, 1, 1}},        // per channel, full rank
      {{3, 1, 5}, {1, 4, 1}},              // both sides broadcast
      {{5}, {3, 4, 5}},                    // row vector on the left
      {{1, 1}, {3, 7}},                    // one element, rank 2
      {{2, 1, 3, 1, 2}, {1, 4, 1, 5, 1}},  // alternating
      {{4, 1, 3}, {4, 5, 3}},              // middle
      {{}, {3, 2}},                        // scalar
      {{3, 0, 2}, {1, 2}},                 // empty
  };
  std::uint32_t seed = 1;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.a.to_string() + " and " + c.b.to_string());
    const Tensor x = random_tensor(c.a, seed++);
    const Tensor y = random_tensor(c.b, seed++);
    const Shape out = broadcast_shapes(c.a, c.b);
    expect_tensor_near(run1(OpKind::kSub, {runtime_input(x), runtime_input(y)}),
                       naive_binary<float, float>(x, y, out, std::minus<float>()));
    expect_tensor_near(run1(OpKind::kMul, {runtime_input(y), runtime_input(x)}),
                       naive_binary<float, float>(y, x, out, std::multiplies<float>()));
    expect_tensor_near(run1(OpKind::kGreater, {runtime_input(x), runtime_input(y)}),
                       naive_binary<float, bool>(x, y, out, std::greater<float>()));
  }
}

TEST(ElementwiseBinaryTest, LargeBroadcastRunsInParallel) {
  const Tensor x = random_tensor({2, 64, 33, 17}, 3);  // 71 808 elements
  const Tensor bias = random_tensor({64, 1, 1}, 4);
  const Tensor row = random_tensor({17}, 5);
  expect_tensor_near(run1(OpKind::kAdd, {runtime_input(x), runtime_input(bias)}),
                     naive_binary<float, float>(x, bias, x.shape(), std::plus<float>()));
  expect_tensor_near(run1(OpKind::kDiv, {runtime_input(x), runtime_input(row)}),
                     naive_binary<float, float>(x, row, x.shape(), std::divides<float>()));
}

TEST(ElementwiseBinaryTest, IntegerShapeArithmetic) {
  // What exporters compute from Shape: new_shape = shape[0:2] * [1, 2] + 0, / 2.
  const Tensor shape = i64({4}, {1, 3, 224, 224});
  expect_tensor_near(run1(OpKind::kMul, {constant_input(shape), constant_input(i64({}, {2}))}),
                     i64({4}, {2, 6, 448, 448}));
  expect_tensor_near(
      run1(OpKind::kAdd, {constant_input(shape), constant_input(i64({4}, {0, 1, -2, 3}))}),
      i64({4}, {1, 4, 222, 227}));
  expect_tensor_near(run1(OpKind::kSub, {constant_input(shape), constant_input(i64({1}, {1}))}),
                     i64({4}, {0, 2, 223, 223}));
  // Integer division truncates toward zero, as C does.
  expect_tensor_near(run1(OpKind::kDiv, {runtime_input(i64({6}, {7, -7, 7, -7, 224, 0})),
                                         runtime_input(i64({6}, {2, 2, -2, -2, 3, 5}))}),
                     i64({6}, {3, -3, -3, 3, 74, 0}));
  expect_tensor_near(
      run1(OpKind::kDiv, {runtime_input(i32({3}, {9, -9, 1})), runtime_input(i32({1}, {4}))}),
      i32({3}, {2, -2, 0}));
  constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
  expect_tensor_near(
      run1(OpKind::kDiv, {runtime_input(i64({1}, {kMin64})), runtime_input(i64({1}, {-1}))}),
      i64({1}, {kMin64}));
  expect_tensor_near(run1(OpKind::kEqual, {constant_input(shape), constant_input(i64({}, {224}))}),
                     boolean({4}, {false, false, true, true}));
  expect_tensor_near(run1(OpKind::kLess, {constant_input(shape), constant_input(i64({}, {3}))}),
                     boolean({4}, {true, false, false, false}));
  expect_tensor_near(
      run1(OpKind::kGreaterOrEqual, {constant_input(shape), constant_input(i64({}, {3}))}),
      boolean({4}, {false, true, true, true}));
  expect_tensor_near(
      run1(OpKind::kLessOrEqual, {constant_input(i32({2}, {3, 4})), constant_input(i32({}, {3}))}),
      boolean({2}, {true, false}));
}

TEST(ElementwiseBinaryTest, IntegerDivisionByZeroIsAnError) {
  SingleNodeGraph graph(OpKind::kDiv,
                        {runtime_input(i64({2}, {4, 5})), runtime_input(i64({2}, {1, 0}))});
  expect_node_error([&] { graph.run(); }, "integer division by zero");
}

TEST(ElementwiseBinaryTest, Comparisons) {
  const Tensor a = f32({5}, {1.f, 2.f, 3.f, kNaN, -kInf});
  const Tensor b = f32({5}, {2.f, 2.f, 2.f, kNaN, -kInf});
  expect_tensor_near(run1(OpKind::kEqual, {runtime_input(a), runtime_input(b)}),
                     boolean({5}, {false, true, false, false, true}));
  expect_tensor_near(run1(OpKind::kLess, {runtime_input(a), runtime_input(b)}),
                     boolean({5}, {true, false, false, false, false}));
  expect_tensor_near(run1(OpKind::kLessOrEqual, {runtime_input(a), runtime_input(b)}),
                     boolean({5}, {true, true, false, false, true}));
  expect_tensor_near(run1(OpKind::kGreater, {runtime_input(a), runtime_input(b)}),
                     boolean({5}, {false, false, true, false, false}));
  expect_tensor_near(run1(OpKind::kGreaterOrEqual, {runtime_input(a), runtime_input(b)}),
                     boolean({5}, {false, true, true, false, true}));
  expect_tensor_near(run1(OpKind::kEqual, {runtime_input(boolean({2}, {true, false})),
                                           runtime_input(boolean({}, {false}))}),
                     boolean({2}, {false, true}));
}

TEST(ElementwiseBinaryTest, Logic) {
  const Tensor a = boolean({2, 2}, {true, true, false, false});
  const Tensor b = boolean({2}, {true, false});
  expect_tensor_near(run1(OpKind::kAnd, {runtime_input(a), runtime_input(b)}),
                     boolean({2, 2}, {true, false, false, false}));
  expect_tensor_near(run1(OpKind::kOr, {runtime_input(a), runtime_input(b)}),
                     boolean({2, 2}, {true, true, true, false}));
}

TEST(ElementwiseBinaryTest, PowByConstantTwoIsTheCorrectlyRoundedSquare) {
  // The constant-2 fast path multiplies: the correctly rounded square (the double product of
  // two floats is exact), NaN, infinities and signs included. (glibc's powf may be 1 ulp off.)
  Tensor base = random_tensor(Shape{1000}, 9, -1e3f, 1e3f);
  const float specials[] = {kNaN, kInf, -kInf, -0.f, 0.f, 1e-30f, -3e19f, 2e19f};
  for (std::size_t i = 0; i < std::size(specials); ++i) base.data<float>()[i] = specials[i];
  SingleNodeGraph graph(OpKind::kPow, {runtime_input(base), constant_input(f32({}, {2.f}))});
  const Tensor squared = graph.run()[0];
  for (std::int64_t i = 0; i < base.numel(); ++i) {
    const double x = base.data<float>()[i];
    const float expected = static_cast<float>(x * x);
    const float got = squared.data<float>()[i];
    EXPECT_TRUE(got == expected || (std::isnan(got) && std::isnan(expected)))
        << x << ": " << got << " vs " << expected;
  }
}

TEST(ElementwiseBinaryTest, Pow) {
  const Tensor base = f32({2, 3}, {2.f, 3.f, 4.f, 0.5f, 9.f, -2.f});
  expect_tensor_near(run1(OpKind::kPow, {runtime_input(base), constant_input(f32({}, {2.f}))}),
                     f32({2, 3}, {4.f, 9.f, 16.f, 0.25f, 81.f, 4.f}));
  expect_tensor_near(
      run1(OpKind::kPow, {runtime_input(base), constant_input(f32({3}, {0.5f, 1.f, -1.f}))}),
      f32({2, 3}, {std::sqrt(2.f), 3.f, 0.25f, std::sqrt(0.5f), 9.f, -0.5f}));
  expect_tensor_near(run1(OpKind::kPow, {runtime_input(base), constant_input(i64({}, {3}))}),
                     f32({2, 3}, {8.f, 27.f, 64.f, 0.125f, 729.f, -8.f}));
  expect_tensor_near(run1(OpKind::kPow, {runtime_input(base), constant_input(i32({2, 1}, {0, 1}))}),
                     f32({2, 3}, {1.f, 1.f, 1.f, 0.5f, 9.f, -2.f}));
  EXPECT_TRUE(std::isnan(
      run1(OpKind::kPow, {runtime_input(f32({1}, {-2.f})), runtime_input(f32({1}, {0.5f}))})
          .data<float>()[0]));
}

TEST(ElementwiseBinaryTest, PRelu) {
  const Tensor x = random_tensor({2, 3, 4, 5}, 21);
  const Tensor slope = f32({3, 1, 1}, {0.1f, 0.2f, 0.3f});
  expect_tensor_near(run1(OpKind::kPRelu, {runtime_input(x), constant_input(slope)}),
                     naive_binary<float, float>(
                         x, slope, x.shape(), [](float v, float s) { return v < 0 ? v * s : v; }));
  const Tensor scalar_slope = f32({1}, {0.25f});
  expect_tensor_near(run1(OpKind::kPRelu, {runtime_input(f32({3}, {-4.f, 0.f, 4.f})),
                                           constant_input(scalar_slope)}),
                     f32({3}, {-1.f, 0.f, 4.f}));
  // The slope broadcasts to X, never the other way.
  expect_node_error(
      [&] {
        run1(OpKind::kPRelu,
             {runtime_input(f32({3}, {1, 2, 3})), constant_input(f32({2, 3}, {1, 2, 3, 4, 5, 6}))});
      },
      "does not broadcast to the input shape [3]");
}

TEST(ElementwiseBinaryTest, Errors) {
  expect_node_error(
      [] {
        run1(OpKind::kAdd, {runtime_input(f32({2, 3}, {1, 2, 3, 4, 5, 6})),
                            runtime_input(f32({4}, {1, 2, 3, 4}))});
      },
      "cannot be broadcast together");
  expect_node_error(
      [] {
        run1(OpKind::kMul, {runtime_input(f32({1}, {1})), runtime_input(i64({1}, {1}))});
      },
      "input 1 ('in1') is int64 but input 0 ('in0') is float32");
  expect_node_error(
      [] {
        run1(OpKind::kAnd, {runtime_input(f32({1}, {1})), runtime_input(f32({1}, {1}))});
      },
      "And supports bool");
  expect_node_error([] { run1(OpKind::kAdd, {runtime_input(f32({1}, {1}))}); },
                    "expects 2 inputs, got 1");
  expect_node_error(
      [] {
        run1(OpKind::kPow, {runtime_input(i64({1}, {2})), runtime_input(i64({1}, {2}))});
      },
      "Pow supports float32");
}

// ---- Variadic ----

TEST(ElementwiseVariadicTest, OneTwoAndThreeInputs) {
  const Tensor a = f32({2, 3}, {1, 8, 3, 4, -5, 6});
  const Tensor b = f32({3}, {2, 2, 2});
  const Tensor c = f32({2, 1}, {0, 7});
  expect_tensor_near(run1(OpKind::kMax, {runtime_input(a)}), a);
  expect_tensor_near(run1(OpKind::kSum, {runtime_input(a)}), a);
  expect_tensor_near(run1(OpKind::kMax, {runtime_input(a), runtime_input(b)}),
                     f32({2, 3}, {2, 8, 3, 4, 2, 6}));
  expect_tensor_near(run1(OpKind::kMax, {runtime_input(a), runtime_input(b), runtime_input(c)}),
                     f32({2, 3}, {2, 8, 3, 7, 7, 7}));
  expect_tensor_near(run1(OpKind::kMin, {runtime_input(c), runtime_input(b), runtime_input(a)}),
                     f32({2, 3}, {0, 0, 0, 2, -5, 2}));
  expect_tensor_near(run1(OpKind::kSum, {runtime_input(a), runtime_input(b), runtime_input(c)}),
                     f32({2, 3}, {3, 10, 5, 13, 4, 15}));
  expect_tensor_near(run1(OpKind::kMean, {runtime_input(a), runtime_input(b), runtime_input(c)}),
                     f32({2, 3}, {1, 10.f / 3, 5.f / 3, 13.f / 3, 4.f / 3, 5}));
  // The output takes the broadcast of all inputs even when the first is the smallest.
  const Tensor grown = run1(OpKind::kSum, {runtime_input(c), runtime_input(b)});
  expect_tensor_near(grown, f32({2, 3}, {2, 2, 2, 9, 9, 9}));
}

TEST(ElementwiseVariadicTest, MaxMinPropagateNaNAndTakeIntegers) {
  const Tensor a = f32({3}, {1.f, kNaN, 3.f});
  const Tensor b = f32({3}, {kNaN, 2.f, 1.f});
  expect_tensor_near(run1(OpKind::kMax, {runtime_input(a), runtime_input(b)}),
                     f32({3}, {kNaN, kNaN, 3.f}));
  expect_tensor_near(run1(OpKind::kMin, {runtime_input(a), runtime_input(b)}),
                     f32({3}, {kNaN, kNaN, 1.f}));
  expect_tensor_near(
      run1(OpKind::kMax, {runtime_input(i64({3}, {1, -5, 9})), runtime_input(i64({}, {0}))}),
      i64({3}, {1, 0, 9}));
  expect_tensor_near(
      run1(OpKind::kMin, {runtime_input(i32({3}, {1, -5, 9})), runtime_input(i32({}, {0}))}),
      i32({3}, {0, -5, 0}));
  expect_tensor_near(
      run1(OpKind::kSum, {runtime_input(i64({2}, {1, 2})), runtime_input(i64({2}, {3, 4})),
                          runtime_input(i64({1}, {10}))}),
      i64({2}, {14, 16}));
}

TEST(ElementwiseVariadicTest, Errors) {
  expect_node_error([] { run1(OpKind::kMean, {runtime_input(i64({1}, {1}))}); },
                    "Mean supports float32");
  expect_node_error(
      [] {
        run1(OpKind::kSum, {runtime_input(f32({2}, {1, 2})), runtime_input(f32({2}, {1, 2})),
                            runtime_input(f32({3}, {1, 2, 3}))});
      },
      "input shapes [2], [2], [3] cannot be broadcast together");
  expect_node_error([] { run1(OpKind::kMax, {}); }, "needs at least one input");
}

// ---- Where ----

TEST(ElementwiseWhereTest, SelectsWithBroadcasting) {
  const Tensor condition = boolean({2, 1}, {true, false});
  const Tensor x = f32({3}, {1, 2, 3});
  const Tensor y = f32({2, 3}, {-1, -2, -3, -4, -5, -6});
  expect_tensor_near(
      run1(OpKind::kWhere, {runtime_input(condition), runtime_input(x), runtime_input(y)}),
      f32({2, 3}, {1, 2, 3, -4, -5, -6}));
  expect_tensor_near(run1(OpKind::kWhere, {runtime_input(boolean({3}, {false, true, false})),
                                           runtime_input(i64({}, {7})),
                                           runtime_input(i64({2, 3}, {1, 2, 3, 4, 5, 6}))}),
                     i64({2, 3}, {1, 7, 3, 4, 7, 6}));
  expect_tensor_near(run1(OpKind::kWhere, {runtime_input(boolean({2}, {true, false})),
                                           runtime_input(boolean({2}, {false, false})),
                                           runtime_input(boolean({2}, {true, true}))}),
                     boolean({2}, {false, true}));
  // float16 moves as 16-bit words.
  Tensor half_x(DType::kFloat16, {2});
  Tensor half_y(DType::kFloat16, {2});
  static_cast<std::uint16_t*>(half_x.raw())[0] = 0x3c00;
  static_cast<std::uint16_t*>(half_x.raw())[1] = 0x4000;
  static_cast<std::uint16_t*>(half_y.raw())[0] = 0xbc00;
  static_cast<std::uint16_t*>(half_y.raw())[1] = 0xc000;
  const Tensor half = run1(OpKind::kWhere, {runtime_input(boolean({2}, {false, true})),
                                            runtime_input(half_x), runtime_input(half_y)});
  ASSERT_EQ(half.dtype(), DType::kFloat16);
  EXPECT_EQ(static_cast<const std::uint16_t*>(half.raw())[0], 0xbc00);
  EXPECT_EQ(static_cast<const std::uint16_t*>(half.raw())[1], 0x4000);
}

TEST(ElementwiseWhereTest, Errors) {
  expect_node_error(
      [] {
        run1(OpKind::kWhere, {runtime_input(f32({2}, {1, 0})), runtime_input(f32({2}, {1, 2})),
                              runtime_input(f32({2}, {3, 4}))});
      },
      "input 0 (condition, 'in0') is float32; Where supports bool");
  expect_node_error(
      [] {
        run1(OpKind::kWhere, {runtime_input(boolean({2}, {true, false})),
                              runtime_input(f32({2}, {1, 2})), runtime_input(i64({2}, {3, 4}))});
      },
      "input 2 (Y, 'in2') is int64");
  expect_node_error(
      [] {
        run1(OpKind::kWhere, {runtime_input(boolean({3}, {true, false, true})),
                              runtime_input(f32({2}, {1, 2})), runtime_input(f32({2}, {3, 4}))});
      },
      "cannot be broadcast together");
}

}  // namespace
}  // namespace kiln
