#include "kiln/compiler/model_statistics.h"

#include <unordered_set>

namespace kiln::compiler {

std::int64_t count_macs(const ir::Node& node) {
  auto typed = [&](std::size_t i) { return node.input(i) != nullptr && node.input(i)->has_type(); };
  if (!node.output(0)->has_type()) return 0;
  const Shape& out = node.output(0)->shape();
  switch (node.op()) {
    case ir::OpKind::kConv: {
      if (!typed(1)) return 0;
      const Shape& w = node.input(1)->shape();  // [Cout, Cin/group, k...]
      std::int64_t per_output = 1;
      for (std::size_t i = 1; i < w.rank(); ++i) per_output *= w[i];
      return out.numel() * per_output;
    }
    case ir::OpKind::kConvTranspose: {
      if (!typed(0) || !typed(1)) return 0;
      const Shape& w = node.input(1)->shape();  // [Cin, Cout/group, k...]
      std::int64_t per_input = 1;
      for (std::size_t i = 1; i < w.rank(); ++i) per_input *= w[i];
      return node.input(0)->shape().numel() * per_input;
    }
    case ir::OpKind::kMatMul: {
      if (!typed(0)) return 0;
      const Shape& a = node.input(0)->shape();
      return out.numel() * (a.rank() == 0 ? 1 : a[a.rank() - 1]);
    }
    case ir::OpKind::kGemm: {
      if (!typed(0)) return 0;
      const Shape& a = node.input(0)->shape();
      const std::int64_t k = node.attr_int("transA", 0) != 0 ? a[0] : a[1];
      return out.numel() * k;
    }
    default:
      return 0;
  }
}

ModelStatistics compute_statistics(const ir::Graph& graph) {
  ModelStatistics stats;
  std::unordered_set<const ir::Value*> counted;
  for (const ir::Node* node : graph.nodes()) {
    ++stats.op_histogram[std::string(node->op_name())];
    stats.macs += count_macs(*node);
    for (const ir::Value* in : node->inputs()) {
      if (in != nullptr && in->is_constant() && is_floating(in->dtype()) &&
          counted.insert(in).second) {
        stats.parameters += in->constant().numel();
      }
    }
  }
  return stats;
}

}  // namespace kiln::compiler
