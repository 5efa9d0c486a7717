// Heavy-op micro-benchmarks: the reference kernel against the oneDNN kernel (and, for
// convolutions, each of its layout strategies) on shapes from real networks. Each result is
// labelled with the implementation that ran (e.g. "onednn:jit:avx512_core").
//
//   kernels_benchmark [--benchmark_filter=REGEX] [google benchmark flags]

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kiln/ir/graph.h"
#include "kiln/kernels/cpu/onednn_kernels.h"
#include "kiln/kernels/op_definitions.h"

namespace {

using kiln::DType;
using kiln::Shape;
using kiln::Tensor;
using kiln::ir::OpKind;
namespace kernels = kiln::kernels;

Tensor random_tensor(Shape shape, std::uint32_t seed) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::uint32_t state = seed * 2654435761u + 1u;
  for (float& v : t.span<float>()) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) - 0.5f;
  }
  return t;
}

struct Operand {
  Shape shape;
  bool constant;
};

// One node with its inputs and outputs allocated, ready for any kernel factory.
class NodeFixture {
 public:
  NodeFixture(OpKind op, const std::vector<Operand>& operands, kiln::ir::Attributes attributes) {
    std::vector<kiln::ir::Value*> in_values;
    for (std::size_t i = 0; i < operands.size(); ++i) {
      Tensor data = random_tensor(operands[i].shape, static_cast<std::uint32_t>(i + 1));
      const std::string name = "in" + std::to_string(i);
      kiln::ir::Value* value;
      if (operands[i].constant) {
        value = graph_.add_constant(name, data);
      } else {
        value = graph_.add_value(name);
        value->set_type(DType::kFloat32, operands[i].shape);
      }
      in_values.push_back(value);
      inputs_.push_back(std::move(data));
    }
    node_ =
        graph_.add_node(op, "bench", in_values, {graph_.add_value("out")}, std::move(attributes));
    kernels::infer_node_types(*node_);
    outputs_.emplace_back(DType::kFloat32, node_->output(0)->shape());
  }

  const kiln::ir::Node& node() const { return *node_; }
  std::vector<Tensor>& inputs() { return inputs_; }
  std::vector<Tensor>& outputs() { return outputs_; }

 private:
  kiln::ir::Graph graph_;
  kiln::ir::Node* node_ = nullptr;
  std::vector<Tensor> inputs_;
  std::vector<Tensor> outputs_;
};

void run_kernel(benchmark::State& state, std::shared_ptr<NodeFixture> fixture,
                kernels::KernelFactory factory, double flops) {
  std::string why_not;
  std::unique_ptr<kernels::Kernel> kernel = factory(fixture->node(), {}, why_not);
  if (!kernel) {
    state.SkipWithError(("declined: " + why_not).c_str());
    return;
  }
  state.SetLabel(kernel->implementation());
  for (auto _ : state) kernel->run(fixture->inputs(), fixture->outputs());
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

std::unique_ptr<kernels::Kernel> conv_plain(const kiln::ir::Node& node,
                                            const kernels::KernelOptions& options,
                                            std::string& why_not) {
  return kernels::cpu::create_onednn_conv(node, options, why_not, kernels::cpu::ConvLayout::kPlain);
}

std::unique_ptr<kernels::Kernel> conv_blocked(const kiln::ir::Node& node,
                                              const kernels::KernelOptions& options,
                                              std::string& why_not) {
  return kernels::cpu::create_onednn_conv(node, options, why_not,
                                          kernels::cpu::ConvLayout::kBlocked);
}

kiln::ir::Attribute ints(std::initializer_list<std::int64_t> values) {
  return std::vector<std::int64_t>(values);
}

struct Case {
  std::string name;
  OpKind op;
  std::vector<Operand> operands;
  kiln::ir::Attributes attributes;
};

std::vector<Case> conv_cases() {
  const auto pad1 = ints({1, 1, 1, 1});
  return {
      {"resnet_1x1_256to64_56",
       OpKind::kConv,
       {{{1, 256, 56, 56}, false}, {{64, 256, 1, 1}, true}},
       {}},
      {"resnet_1x1_64to256_56",
       OpKind::kConv,
       {{{1, 64, 56, 56}, false}, {{256, 64, 1, 1}, true}},
       {}},
      {"resnet_1x1_s2_512to1024_28",
       OpKind::kConv,
       {{{1, 512, 28, 28}, false}, {{1024, 512, 1, 1}, true}},
       {{"strides", ints({2, 2})}}},
      {"resnet_3x3_64_56",
       OpKind::kConv,
       {{{1, 64, 56, 56}, false}, {{64, 64, 3, 3}, true}},
       {{"pads", pad1}}},
      {"resnet_3x3_256_d2_14",
       OpKind::kConv,
       {{{1, 256, 14, 14}, false}, {{256, 256, 3, 3}, true}},
       {{"pads", ints({2, 2, 2, 2})}, {"dilations", ints({2, 2})}}},
      {"dpn_3x3_g32_128_28",
       OpKind::kConv,
       {{{1, 128, 28, 28}, false}, {{128, 4, 3, 3}, true}},
       {{"pads", pad1}, {"group", std::int64_t{32}}}},
      {"effnet_dw5x5_s2_240_28",
       OpKind::kConv,
       {{{1, 240, 28, 28}, false}, {{240, 1, 5, 5}, true}},
       {{"group", std::int64_t{240}}, {"strides", ints({2, 2})}, {"pads", ints({1, 1, 2, 2})}}},
      {"effnet_dw3x3_s1_144_56",
       OpKind::kConv,
       {{{1, 144, 56, 56}, false}, {{144, 1, 3, 3}, true}},
       {{"group", std::int64_t{144}}, {"pads", pad1}}},
      {"rdn_3x3_64_64x64",
       OpKind::kConv,
       {{{1, 64, 64, 64}, false}, {{64, 64, 3, 3}, true}, {{64}, true}},
       {{"pads", pad1}}},
      {"rdn_lff_1x1_576to64_64x64",
       OpKind::kConv,
       {{{1, 576, 64, 64}, false}, {{64, 576, 1, 1}, true}, {{64}, true}},
       {}},
      {"stem_7x7_s2_3to64_224",
       OpKind::kConv,
       {{{1, 3, 224, 224}, false}, {{64, 3, 7, 7}, true}},
       {{"strides", ints({2, 2})}, {"pads", ints({3, 3, 3, 3})}}},
      {"patch_16x16_s16_3to384_224",
       OpKind::kConv,
       {{{1, 3, 224, 224}, false}, {{384, 3, 16, 16}, true}, {{384}, true}},
       {{"strides", ints({16, 16})}}},
      {"resnet_3x3_64_56_batch8",
       OpKind::kConv,
       {{{8, 64, 56, 56}, false}, {{64, 64, 3, 3}, true}},
       {{"pads", pad1}}},
      {"convtranspose_4x4_s2_64_32",
       OpKind::kConvTranspose,
       {{{1, 64, 32, 32}, false}, {{64, 64, 4, 4}, true}},
       {{"strides", ints({2, 2})}, {"pads", pad1}}},
  };
}

std::vector<Case> other_cases() {
  return {
      {"vit_mlp_gemm_197x384x1536",
       OpKind::kGemm,
       {{{197, 384}, false}, {{1536, 384}, true}, {{1536}, true}},
       {{"transB", std::int64_t{1}}}},
      {"vit_attention_matmul_6x197x64x197",
       OpKind::kMatMul,
       {{{6, 197, 64}, false}, {{6, 64, 197}, false}},
       {}},
      {"maxpool_3x3_s2_64_112",
       OpKind::kMaxPool,
       {{{1, 64, 112, 112}, false}},
       {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 1})}}},
      {"global_avgpool_2048_7", OpKind::kGlobalAveragePool, {{{1, 2048, 7, 7}, false}}, {}},
      {"batchnorm_64_112",
       OpKind::kBatchNormalization,
       {{{1, 64, 112, 112}, false}, {{64}, true}, {{64}, true}, {{64}, true}, {{64}, true}},
       {}},
      {"batchnorm1d_32x512",
       OpKind::kBatchNormalization,
       {{{32, 512}, false}, {{512}, true}, {{512}, true}, {{512}, true}, {{512}, true}},
       {}},
      {"relu_64_112", OpKind::kRelu, {{{1, 64, 112, 112}, false}}, {}},
      {"sigmoid_64_112", OpKind::kSigmoid, {{{1, 64, 112, 112}, false}}, {}},
      {"gelu_197x1536", OpKind::kGelu, {{{1, 197, 1536}, false}}, {}},
      {"tanh_197x1536", OpKind::kTanh, {{{1, 197, 1536}, false}}, {}},
  };
}

// Multiply-adds of a conv node, counted as 2 flops each.
double conv_flops(const kiln::ir::Node& node) {
  const Shape& w = node.input(1)->shape();
  const Shape& x = node.input(0)->shape();
  const Shape& y = node.output(0)->shape();
  double kernel = 1;
  for (std::size_t i = 1; i < w.rank(); ++i) kernel *= static_cast<double>(w[i]);
  // Conv: every output element takes C/group * k taps; ConvTranspose: every input element
  // scatters to M/group * k outputs.
  return node.op() == OpKind::kConv ? 2.0 * static_cast<double>(y.numel()) * kernel
                                    : 2.0 * static_cast<double>(x.numel()) * kernel;
}

double matmul_flops(const kiln::ir::Node& node) {
  const Shape& y = node.output(0)->shape();
  const Shape& a = node.input(0)->shape();
  const bool trans_a = node.op() == OpKind::kGemm && node.attr_int("transA", 0) != 0;
  const std::int64_t k = trans_a ? a[0] : a[a.rank() - 1];
  return 2.0 * static_cast<double>(y.numel()) * static_cast<double>(k);
}

kernels::KernelFactory optimized_factory(OpKind op) {
  switch (op) {
    case OpKind::kGemm:
      return kernels::cpu::make_onednn_gemm;
    case OpKind::kMatMul:
      return kernels::cpu::make_onednn_matmul;
    case OpKind::kBatchNormalization:
      return kernels::cpu::make_onednn_batch_norm;
    case OpKind::kRelu:
    case OpKind::kSigmoid:
    case OpKind::kGelu:
    case OpKind::kTanh:
      return kernels::cpu::make_onednn_eltwise;
    default:
      return kernels::cpu::make_onednn_pool;
  }
}

void register_all() {
  for (const Case& c : conv_cases()) {
    auto fixture = std::make_shared<NodeFixture>(c.op, c.operands, c.attributes);
    const double flops = conv_flops(fixture->node());
    const std::pair<const char*, kernels::KernelFactory> variants[] = {
        {"reference", kernels::op_definition(c.op).reference},
        {"onednn_auto", kernels::cpu::make_onednn_conv},
        {"onednn_plain", conv_plain},
        {"onednn_blocked", conv_blocked}};
    for (const auto& [variant, factory] : variants) {
      benchmark::RegisterBenchmark(("conv/" + c.name + "/" + variant).c_str(), run_kernel, fixture,
                                   factory, flops)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  for (const Case& c : other_cases()) {
    auto fixture = std::make_shared<NodeFixture>(c.op, c.operands, c.attributes);
    const bool is_matmul = c.op == OpKind::kGemm || c.op == OpKind::kMatMul;
    const double flops = is_matmul ? matmul_flops(fixture->node()) : 0.0;
    const std::pair<const char*, kernels::KernelFactory> variants[] = {
        {"reference", kernels::op_definition(c.op).reference}, {"onednn", optimized_factory(c.op)}};
    for (const auto& [variant, factory] : variants) {
      benchmark::RegisterBenchmark(("op/" + c.name + "/" + variant).c_str(), run_kernel, fixture,
                                   factory, flops)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
