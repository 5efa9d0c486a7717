#include "kiln/runtime/session.h"

#include <gtest/gtest.h>

#include <thread>

#include "testing/single_node.h"

namespace kiln {
namespace {

using kiln::testing::graph_input;
using kiln::testing::make_tensor;
using kiln::testing::random_tensor;

ir::Value* reshape_to(ir::Graph& g, ir::Value* in, std::vector<std::int64_t> dims,
                      const std::string& name) {
  ir::Value* out = g.add_value(name);
  const auto rank = static_cast<std::int64_t>(dims.size());
  g.add_node(ir::OpKind::kReshape, name,
             {in, g.add_constant(name + "_shape", make_tensor<std::int64_t>(Shape{rank}, dims))},
             {out});
  return out;
}

// x[2,6] -> Reshape[3,4] -> Relu -> Reshape[12] -> y; the Reshapes alias their input.
TEST(Session, AliasesReshapesAndComputesCorrectly) {
  ir::Graph g;
  ir::Value* x = graph_input(g, "x", Shape{2, 6});
  ir::Value* r = reshape_to(g, x, {3, 4}, "r");
  ir::Value* a = g.add_value("a");
  g.add_node(ir::OpKind::kRelu, "relu", {r}, {a});
  ir::Value* y = reshape_to(g, a, {12}, "y");
  g.outputs().push_back(y);
  Session session(std::move(g));
  EXPECT_EQ(session.steps()[0].implementation, "alias");
  EXPECT_NE(session.steps()[2].implementation, "alias");  // writes the caller's output: copies

  const Tensor input = random_tensor(Shape{2, 6}, 3);
  for (int repeat = 0; repeat < 2; ++repeat) {  // a second run reuses the bindings
    std::vector<Tensor> out = session.run(std::vector<Tensor>{input});
    ASSERT_EQ(out[0].shape(), (Shape{12}));
    for (int i = 0; i < 12; ++i) {
      EXPECT_EQ(out[0].data<float>()[i], std::max(0.f, input.data<float>()[i]));
    }
  }
}

TEST(Session, ArenaIsReusedAlongAChain) {
  // Ten Relus in a row on 1 MiB tensors need two live buffers, not ten.
  ir::Graph g;
  ir::Value* v = graph_input(g, "x", Shape{262144});
  for (int i = 0; i < 10; ++i) {
    ir::Value* next = g.add_value("v" + std::to_string(i));
    g.add_node(ir::OpKind::kRelu, "relu" + std::to_string(i), {v}, {next});
    v = next;
  }
  g.outputs().push_back(v);
  Session session(std::move(g));
  EXPECT_LE(session.arena_bytes(), 2u * 262144 * 4);
  std::vector<Tensor> out = session.run(std::vector<Tensor>{random_tensor(Shape{262144}, 1)});
  EXPECT_GE(out[0].data<float>()[0], 0.f);
}

TEST(Session, OutputsThatAreInputsOrConstantsAreCopied) {
  ir::Graph g;
  ir::Value* x = graph_input(g, "x", Shape{3});
  ir::Value* c = g.add_constant("c", make_tensor<float>(Shape{2}, {4.f, 5.f}));
  g.outputs().push_back(x);
  g.outputs().push_back(c);
  Session session(std::move(g));
  const Tensor input = make_tensor<float>(Shape{3}, {1.f, 2.f, 3.f});
  std::vector<Tensor> out = session.run(std::vector<Tensor>{input});
  kiln::testing::expect_tensor_near(out[0], input);
  kiln::testing::expect_tensor_near(out[1], make_tensor<float>(Shape{2}, {4.f, 5.f}));
}

TEST(Session, WrongInputsAreUserErrorsNamingTheInput) {
  ir::Graph g;
  ir::Value* x = graph_input(g, "image", Shape{1, 3});
  ir::Value* y = g.add_value("y");
  g.add_node(ir::OpKind::kRelu, "relu", {x}, {y});
  g.outputs().push_back(y);
  Session session(std::move(g));
  auto expect_message = [&](std::vector<Tensor> inputs, const std::string& fragment) {
    try {
      session.run(inputs);
      ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUser);
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_message({Tensor(DType::kFloat32, Shape{1, 4})}, "input 'image' must be float32[1,3]");
  expect_message({Tensor(DType::kInt64, Shape{1, 3})}, "got int64[1,3]");
  expect_message({}, "the model has 1 inputs, 0 were given");
}

TEST(Session, ProfilingCountsEveryStep) {
  ir::Graph g;
  ir::Value* x = graph_input(g, "x", Shape{8});
  ir::Value* y = g.add_value("y");
  g.add_node(ir::OpKind::kSigmoid, "sigmoid", {x}, {y});
  g.outputs().push_back(y);
  SessionOptions options;
  options.profile = true;
  Session session(std::move(g), options);
  for (int i = 0; i < 3; ++i) session.run(std::vector<Tensor>{random_tensor(Shape{8}, 1)});
  EXPECT_EQ(session.steps()[0].calls, 3);
  EXPECT_GE(session.steps()[0].total_ms, 0.0);
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

// N identical 3x3 convs in a chain: the kernels' temporaries (blocked-layout copies, oneDNN
// scratchpads) are shared, so they take as much as one conv's, not N times that.
Session conv_chain(int count) {
  ir::Graph g;
  ir::Value* v = graph_input(g, "x", Shape{1, 32, 24, 24});
  for (int i = 0; i < count; ++i) {
    ir::Value* next = g.add_value("c" + std::to_string(i));
    g.add_node(ir::OpKind::kConv, "conv" + std::to_string(i),
               {v, g.add_constant("w" + std::to_string(i),
                                  random_tensor(Shape{32, 32, 3, 3}, 10 + i, -0.1f, 0.1f))},
               {next}, {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
    v = next;
  }
  g.outputs().push_back(v);
  return Session(std::move(g));
}

TEST(Session, KernelScratchDoesNotGrowWithTheNumberOfKernels) {
  Session one = conv_chain(1);
  Session eight = conv_chain(8);
  // A 3x3 conv runs in oneDNN's blocked layout, through temporaries in the shared space.
  EXPECT_GE(one.scratch_bytes(), 2u * 32 * 24 * 24 * sizeof(float));
  EXPECT_EQ(eight.scratch_bytes(), one.scratch_bytes());
  // And sharing keeps the results right: each conv sees its own input, not a neighbour's.
  const Tensor x = random_tensor(Shape{1, 32, 24, 24}, 5);
  const Tensor y = eight.run(std::vector<Tensor>{x})[0];
  Tensor expected = x;
  for (int i = 0; i < 8; ++i) {
    ir::Graph g;
    ir::Value* in = graph_input(g, "x", Shape{1, 32, 24, 24});
    ir::Value* out = g.add_value("y");
    g.add_node(ir::OpKind::kConv, "conv",
               {in, g.add_constant("w", random_tensor(Shape{32, 32, 3, 3}, 10 + i, -0.1f, 0.1f))},
               {out}, {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
    g.outputs().push_back(out);
    expected = Session(std::move(g)).run(std::vector<Tensor>{expected})[0];
  }
  kiln::testing::expect_tensor_near(y, expected, 1e-5f, 1e-6f);
}

// Streams: sessions made by share_weights() run at the same time on their own threads, give
// the same results as the original, and add no copy of the (reordered) weights.
TEST(Session, SharedWeightSessionsRunConcurrently) {
  Session first = conv_chain(4);
  const std::size_t prepared = first.prepared_constant_bytes();
  EXPECT_GE(prepared, 4u * 32 * 32 * 3 * 3 * sizeof(float));  // blocked copies of the weights
  std::vector<Session> streams;
  for (int i = 0; i < 3; ++i) streams.push_back(first.share_weights(1));
  EXPECT_EQ(first.prepared_constant_bytes(), prepared);
  EXPECT_EQ(streams[0].threads(), 1);
  EXPECT_EQ(&streams[0].graph(), &first.graph());

  std::vector<Tensor> inputs;
  std::vector<Tensor> expected;
  for (int i = 0; i < 3; ++i) {
    inputs.push_back(random_tensor(Shape{1, 32, 24, 24}, 40 + i));
    expected.push_back(first.run(std::vector<Tensor>{inputs.back()})[0]);
  }
  std::vector<Tensor> results(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      for (int repeat = 0; repeat < 20; ++repeat) {
        results[i] = streams[i].run(std::vector<Tensor>{inputs[i]})[0];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < 3; ++i) kiln::testing::expect_tensor_near(results[i], expected[i], 0, 0);
}

}  // namespace
}  // namespace kiln
