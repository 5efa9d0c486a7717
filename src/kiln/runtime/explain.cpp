#include "kiln/runtime/explain.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include "kiln/ir/post_ops.h"

namespace kiln {

std::string explain_session(const Session& session) {
  std::string out;
  auto line = [&out](const std::string& text) {
    out += text;
    out += '\n';
  };
  line("passes that changed the graph (in order, node count after each):");
  for (const compiler::PassRun& run : session.pass_runs()) {
    if (run.changed) line(fmt::format("  {:<28} {:>6} nodes", run.pass, run.nodes_after));
  }
  if (!session.compile_remarks().empty()) {
    line("rewrites that did not fire:");
    for (const std::string& remark : session.compile_remarks()) line("  " + remark);
  }

  std::map<std::string, std::size_t> kernels;
  std::size_t fused_nodes = 0, fused_ops = 0;
  line("nodes (op with fused post-ops: kernel):");
  const std::vector<ir::Node*> nodes = session.graph().nodes();
  const std::vector<StepInfo>& steps = session.steps();
  for (std::size_t i = 0; i < nodes.size() && i < steps.size(); ++i) {
    const ir::Node& node = *nodes[i];
    const std::vector<ir::PostOp> post_ops = ir::post_ops(node);
    if (!post_ops.empty()) {
      ++fused_nodes;
      fused_ops += post_ops.size();
    }
    ++kernels[steps[i].implementation];
    line(fmt::format("  {} {}: {}", node.name(), ir::fused_op_name(node), steps[i].implementation));
    if (!post_ops.empty()) {
      std::vector<std::string> sources;
      for (const ir::PostOp& post_op : post_ops) sources.push_back(post_op.source);
      line(fmt::format("      fused: {}", fmt::join(sources, ", ")));
    }
    for (const std::string& reason : steps[i].declined) line("      declined " + reason);
  }
  line(fmt::format("{} nodes; {} carry {} fused post-ops; kernels:", nodes.size(), fused_nodes,
                   fused_ops));
  for (const auto& [implementation, count] : kernels) {
    line(fmt::format("  {:<40} {}", implementation, count));
  }
  return out;
}

}  // namespace kiln
