// oneDNN Conv / ConvTranspose against the reference kernel: odd geometries and real-network
// shapes, in each layout strategy; declines fall back to the reference; kernels run correctly
// side by side on several threads.

#include <gtest/gtest.h>

#include <thread>

#include "kernels/cpu/onednn_test_helpers.h"

namespace kiln::testing {
namespace {

using ir::OpKind;
using kernels::cpu::ConvLayout;

std::unique_ptr<kernels::Kernel> plain_conv(const ir::Node& node,
                                            const kernels::KernelOptions& options,
                                            std::string& why_not) {
  return kernels::cpu::create_onednn_conv(node, options, why_not, ConvLayout::kPlain);
}

std::unique_ptr<kernels::Kernel> blocked_conv(const ir::Node& node,
                                              const kernels::KernelOptions& options,
                                              std::string& why_not) {
  return kernels::cpu::create_onednn_conv(node, options, why_not, ConvLayout::kBlocked);
}

constexpr kernels::KernelFactory kLayouts[] = {kernels::cpu::make_onednn_conv, plain_conv,
                                               blocked_conv};
constexpr const char* kLayoutNames[] = {"auto", "plain", "blocked"};

struct ConvCase {
  const char* name;
  Shape x;
  Shape w;
  ir::Attributes attributes;
  bool bias = true;
};

void check_conv(OpKind op, const ConvCase& c) {
  const auto group = c.attributes.find("group");
  const std::int64_t groups =
      group == c.attributes.end() ? 1 : std::get<std::int64_t>(group->second);
  const std::int64_t out_channels = op == OpKind::kConv ? c.w[0] : c.w[1] * groups;
  const std::vector<NodeInput> inputs = {
      runtime_input(random_tensor(c.x, 1)), constant_input(random_tensor(c.w, 2, -0.5f, 0.5f)),
      c.bias ? constant_input(random_tensor({out_channels}, 3)) : absent_input()};
  for (std::size_t i = 0; i < std::size(kLayouts); ++i) {
    SCOPED_TRACE(std::string(c.name) + " / " + kLayoutNames[i]);
    expect_matches_reference(op, inputs, c.attributes, kLayouts[i]);
  }
}

ir::Attributes attrs(std::initializer_list<std::pair<const std::string, ir::Attribute>> list) {
  return ir::Attributes(list);
}

TEST(OnednnConv, OddGeometries) {
  const ConvCase cases[] = {
      {"1d", {2, 3, 11}, {5, 3, 3}, attrs({{"pads", ints({1, 2})}})},
      {"1d strided dilated grouped",
       {1, 4, 17},
       {6, 2, 4},
       attrs({{"group", int_attr(2)}, {"strides", ints({3})}, {"dilations", ints({2})}})},
      {"2d odd asym",
       {3, 5, 9, 7},
       {7, 5, 3, 2},
       attrs(
           {{"strides", ints({2, 1})}, {"dilations", ints({1, 2})}, {"pads", ints({1, 0, 2, 1})}}),
       false},
      {"2d grouped 3",
       {2, 6, 7, 8},
       {9, 2, 3, 3},
       attrs({{"group", int_attr(3)}, {"pads", ints({1, 1, 1, 1})}})},
      {"2d depthwise multiplier 2",
       {1, 5, 9, 11},
       {10, 1, 3, 3},
       attrs({{"group", int_attr(5)}, {"auto_pad", string_attr("SAME_LOWER")}})},
      {"2d valid", {1, 3, 10, 10}, {4, 3, 5, 5}, attrs({{"auto_pad", string_attr("VALID")}})},
      {"3d",
       {1, 3, 5, 6, 7},
       {4, 3, 2, 3, 3},
       attrs({{"strides", ints({1, 2, 1})}, {"pads", ints({1, 0, 1, 0, 1, 2})}})},
  };
  for (const ConvCase& c : cases) check_conv(OpKind::kConv, c);
}

TEST(OnednnConv, RealNetworkShapes) {
  const ConvCase cases[] = {
      // ResNet-101 bottleneck (and its dilated DeepLab form).
      {"resnet 1x1 256->64", {1, 256, 56, 56}, {64, 256, 1, 1}, {}, false},
      {"resnet 3x3 64->64", {1, 64, 56, 56}, {64, 64, 3, 3}, attrs({{"pads", ints({1, 1, 1, 1})}})},
      {"resnet 1x1 s2 512->1024",
       {1, 512, 28, 28},
       {1024, 512, 1, 1},
       attrs({{"strides", ints({2, 2})}})},
      {"resnet 3x3 dilated 2",
       {1, 256, 14, 14},
       {256, 256, 3, 3},
       attrs({{"pads", ints({2, 2, 2, 2})}, {"dilations", ints({2, 2})}})},
      {"resnet 3x3 dilated 4",
       {1, 128, 17, 17},
       {128, 128, 3, 3},
       attrs({{"pads", ints({4, 4, 4, 4})}, {"dilations", ints({4, 4})}})},
      // DPN grouped 3x3.
      {"dpn g32",
       {1, 128, 28, 28},
       {128, 4, 3, 3},
       attrs({{"group", int_attr(32)}, {"pads", ints({1, 1, 1, 1})}})},
      {"dpn g40 s2",
       {1, 800, 14, 14},
       {800, 20, 3, 3},
       attrs({{"group", int_attr(40)}, {"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 1})}})},
      // EfficientNet depthwise with TF SAME padding (asymmetric for stride 2, even input).
      {"effnet dw 3x3 s2",
       {1, 96, 112, 112},
       {96, 1, 3, 3},
       attrs({{"group", int_attr(96)}, {"strides", ints({2, 2})}, {"pads", ints({0, 0, 1, 1})}})},
      {"effnet dw 5x5 s2",
       {1, 240, 28, 28},
       {240, 1, 5, 5},
       attrs({{"group", int_attr(240)},
              {"strides", ints({2, 2})},
              {"auto_pad", string_attr("SAME_UPPER")}})},
      // RDN: 3x3 64->64 and the 1x1 concat-fusion convs.
      {"rdn 3x3", {1, 64, 48, 48}, {64, 64, 3, 3}, attrs({{"pads", ints({1, 1, 1, 1})}})},
      {"rdn lff 1x1", {1, 576, 32, 32}, {64, 576, 1, 1}, {}},
      {"rdn gff 1x1", {1, 1024, 24, 24}, {64, 1024, 1, 1}, {}},
      {"rdn 3x3 64->3", {1, 64, 40, 40}, {3, 64, 3, 3}, attrs({{"pads", ints({1, 1, 1, 1})}})},
      // LV-ViT / ViT stems.
      {"stem 7x7 s2",
       {1, 3, 224, 224},
       {64, 3, 7, 7},
       attrs({{"strides", ints({2, 2})}, {"pads", ints({3, 3, 3, 3})}}),
       false},
      {"patch 16x16 s16", {2, 3, 224, 224}, {384, 3, 16, 16}, attrs({{"strides", ints({16, 16})}})},
      {"patch 8x8 s8", {1, 64, 112, 112}, {384, 64, 8, 8}, attrs({{"strides", ints({8, 8})}})},
  };
  for (const ConvCase& c : cases) check_conv(OpKind::kConv, c);
}

TEST(OnednnConvTranspose, OddAndRealShapes) {
  const ConvCase cases[] = {
      {"4x4 s2 p1",
       {1, 64, 32, 32},
       {64, 64, 4, 4},
       attrs({{"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 1})}})},
      {"3x3 s2 output_padding",
       {2, 16, 9, 11},
       {16, 8, 3, 3},
       attrs({{"strides", ints({2, 2})},
              {"pads", ints({1, 1, 1, 1})},
              {"output_padding", ints({1, 1})}})},
      {"grouped dilated asym",
       {1, 6, 7, 5},
       {6, 3, 3, 2},
       attrs({{"group", int_attr(2)},
              {"strides", ints({3, 2})},
              {"dilations", ints({2, 1})},
              {"pads", ints({2, 0, 1, 1})}}),
       false},
      {"1d", {2, 4, 9}, {4, 3, 5}, attrs({{"strides", ints({2})}, {"pads", ints({2, 1})}})},
      {"3d", {1, 3, 3, 4, 5}, {3, 2, 2, 3, 2}, attrs({{"strides", ints({2, 1, 2})}})},
      {"same upper",
       {1, 8, 7, 7},
       {8, 4, 3, 3},
       attrs({{"strides", ints({2, 2})}, {"auto_pad", string_attr("SAME_UPPER")}})},
  };
  for (const ConvCase& c : cases) check_conv(OpKind::kConvTranspose, c);
}

TEST(OnednnConv, RuntimeWeightsAndBias) {
  // Weights and bias that are graph inputs (not constants) are read at every run.
  const std::vector<NodeInput> inputs = {runtime_input(random_tensor({2, 4, 9, 9}, 5)),
                                         runtime_input(random_tensor({6, 2, 3, 3}, 6)),
                                         runtime_input(random_tensor({6}, 7))};
  expect_matches_reference(OpKind::kConv, inputs,
                           {{"group", int_attr(2)}, {"pads", ints({1, 1, 1, 1})}},
                           kernels::cpu::make_onednn_conv);
}

TEST(OnednnConv, RebindsTensorsOnEveryRun) {
  const std::vector<NodeInput> inputs = {runtime_input(random_tensor({1, 16, 12, 12}, 8)),
                                         constant_input(random_tensor({16, 16, 3, 3}, 9))};
  SingleNodeGraph graph(OpKind::kConv, inputs, {{"pads", ints({1, 1, 1, 1})}});
  std::string why_not;
  auto kernel = kernels::cpu::make_onednn_conv(graph.node(), {}, why_not);
  ASSERT_NE(kernel, nullptr) << why_not;
  for (std::uint32_t seed : {10u, 11u}) {
    const Tensor x = random_tensor({1, 16, 12, 12}, seed);
    Tensor out(DType::kFloat32, {1, 16, 12, 12});
    const Tensor ins[] = {x, inputs[1].data};
    kernel->run(ins, std::span<Tensor>(&out, 1));
    auto expected =
        run_reference(OpKind::kConv, {runtime_input(x), inputs[1]}, {{"pads", ints({1, 1, 1, 1})}});
    expect_close(out, expected[0]);
  }
}

TEST(OnednnConv, ImplementationNamesTheOnednnKernel) {
  SingleNodeGraph graph(OpKind::kConv, {runtime_input(random_tensor({1, 32, 14, 14}, 1)),
                                        constant_input(random_tensor({32, 32, 3, 3}, 2))});
  kernels::KernelChoice choice = kernels::create_kernel(graph.node(), {});
  ASSERT_NE(choice.kernel, nullptr);
  EXPECT_EQ(choice.kernel->implementation().rfind("onednn:", 0), 0u)
      << choice.kernel->implementation();
  EXPECT_TRUE(choice.declined.empty());
}

TEST(OnednnConvTranspose, NegativePaddingDeclinesToTheReference) {
  // output_shape beyond what the kernel reaches needs negative pads: reference only.
  expect_declined(OpKind::kConvTranspose,
                  {runtime_input(random_tensor({1, 2, 3, 3}, 1)),
                   constant_input(random_tensor({2, 2, 3, 3}, 2))},
                  {{"strides", ints({2, 2})}, {"output_shape", ints({10, 10})}},
                  kernels::cpu::make_onednn_conv, "negative padding");
}

TEST(OnednnConv, BadAttributesAreUserErrorsNotDeclines) {
  // Attributes broken after shape inference (as a faulty pass could): the factory must report
  // the user's problem, not decline silently to a reference kernel that would report it later.
  SingleNodeGraph graph(OpKind::kConv, {runtime_input(random_tensor({1, 4, 5, 5}, 1)),
                                        constant_input(random_tensor({6, 4, 3, 3}, 2))});
  graph.node().attributes()["group"] = int_attr(3);
  expect_node_error(
      [&] {
        std::string why_not;
        kernels::cpu::make_onednn_conv(graph.node(), {}, why_not);
      },
      "group = 3 does not divide the 4 input channels");
}

TEST(OnednnConv, KernelsOnSeveralThreadsAtOnce) {
  struct Job {
    std::vector<NodeInput> inputs;
    ir::Attributes attributes;
  };
  std::vector<Job> jobs;
  for (std::uint32_t i = 0; i < 4; ++i) {
    const std::int64_t c = 8 + 8 * i;
    jobs.push_back({{runtime_input(random_tensor({1, c, 20 + i, 20}, i)),
                     constant_input(random_tensor({c, c / 4, 3, 3}, 100 + i))},
                    {{"group", int_attr(4)}, {"pads", ints({1, 1, 1, 1})}}});
  }
  std::vector<std::unique_ptr<SingleNodeGraph>> graphs;
  std::vector<std::unique_ptr<kernels::Kernel>> kernel_list;
  std::vector<Tensor> outputs, expected;
  for (const Job& job : jobs) {
    graphs.push_back(std::make_unique<SingleNodeGraph>(OpKind::kConv, job.inputs, job.attributes));
    std::string why_not;
    kernel_list.push_back(kernels::cpu::make_onednn_conv(graphs.back()->node(), {}, why_not));
    ASSERT_NE(kernel_list.back(), nullptr) << why_not;
    const ir::Value& out = *graphs.back()->node().output(0);
    outputs.emplace_back(out.dtype(), out.shape());
    expected.push_back(graphs.back()->run()[0]);
  }
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    threads.emplace_back([&, i] {
      const Tensor ins[] = {jobs[i].inputs[0].data, jobs[i].inputs[1].data};
      for (int repeat = 0; repeat < 20; ++repeat) {
        kernel_list[i]->run(ins, std::span<Tensor>(&outputs[i], 1));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (std::size_t i = 0; i < jobs.size(); ++i) expect_close(outputs[i], expected[i]);
}

}  // namespace
}  // namespace kiln::testing
