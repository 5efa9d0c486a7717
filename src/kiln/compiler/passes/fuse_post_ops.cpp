// Fuses the elementwise ops that follow a Conv, ConvTranspose, MatMul, Gemm or a binary
// Add/Sub/Mul/Div into it as post-ops (ir/post_ops.h): its activation (Relu, Clip, Sigmoid, Silu,
// HardSigmoid, HardSwish, Gelu, LeakyRelu, Tanh, ...), a bias or per-channel scale (Add/Mul by a
// constant), a residual Add. oneDNN then applies them while the result is still in registers,
// instead of one pass over memory per op. Chains fuse one op at a time, in order: Conv -> Add ->
// Relu becomes one node with two post-ops.
//
// An op fuses when it is the only reader of the heavy node's result, that result is not a graph
// output, the op's output has the result's type (a binary operand only broadcasts into it), and
// its other operand does not itself depend on the result (the squeeze-excitation Mul reads a
// gate computed from the very tensor it scales).

#include <unordered_map>
#include <unordered_set>

#include "kiln/compiler/passes/passes.h"
#include "kiln/ir/post_ops.h"

namespace kiln::compiler::passes {

namespace {

// How many inputs each fusable op owns (absent optional ones are padded with null, so the
// post-op operands that follow have fixed indices).
std::size_t own_input_slots(ir::OpKind op) {
  switch (op) {
    case ir::OpKind::kConv:
    case ir::OpKind::kConvTranspose:
    case ir::OpKind::kGemm:
      return 3;
    case ir::OpKind::kMatMul:
    // A binary op fuses what follows it too: BatchNorm's scale and shift and its ReLU become one
    // oneDNN binary with post-ops.
    case ir::OpKind::kAdd:
    case ir::OpKind::kSub:
    case ir::OpKind::kMul:
    case ir::OpKind::kDiv:
      return 2;
    default:
      return 0;
  }
}

bool is_scalar_constant(const ir::Value* value) {
  return value != nullptr && value->is_constant() && value->dtype() == DType::kFloat32 &&
         value->shape().numel() == 1;
}

class FusePostOps final : public Pass {
 public:
  std::string_view name() const override { return "fuse_post_ops"; }

  bool run(ir::Graph& graph, PassContext& context) override {
    bool changed = false;
    // One fusion at a time: each rewrite replaces two nodes, so the maps are rebuilt.
    while (fuse_one(graph, context)) changed = true;
    return changed;
  }

 private:
  bool fuse_one(ir::Graph& graph, PassContext& context) {
    const std::vector<ir::Node*> nodes = graph.nodes();
    std::unordered_map<const ir::Node*, std::size_t> position;
    for (std::size_t i = 0; i < nodes.size(); ++i) position[nodes[i]] = i;
    const auto consumers = graph.consumer_map();
    for (ir::Node* heavy : nodes) {
      if (own_input_slots(heavy->op()) == 0 || heavy->output_count() != 1) continue;
      if (ir::has_trait(heavy->op(), ir::kBroadcasts) && !ir::has_post_ops(*heavy) &&
          heavy->input_count() != 2) {
        continue;
      }
      ir::Value* result = heavy->output(0);
      if (result->dtype() != DType::kFloat32 || graph.is_graph_output(result)) continue;
      auto it = consumers.find(result);
      if (it == consumers.end() || it->second.size() != 1) continue;
      ir::Node* op = it->second[0];
      if (!ir::is_post_op_kind(op->op()) || op->output_count() != 1) continue;
      std::optional<ir::PostOp> post_op = describe(*op, *result, context);
      ir::Value* operand = nullptr;
      if (!post_op) continue;
      if (post_op->operand >= 0) {
        operand = op->input(static_cast<std::size_t>(post_op->operand));
        if (depends_on(operand, heavy, position)) continue;
        // A binary op takes constants (scale, shift) as post-op operands, not a second
        // activation: oneDNN 2.6's jit binary computes a full-size binary post-op wrongly
        // (fuse_post_ops_test shows it), and two reads of activations gain little anyway.
        if (ir::has_trait(heavy->op(), ir::kBroadcasts) && !operand->is_constant()) continue;
      }
      rewrite(graph, *heavy, *op, std::move(*post_op), operand);
      return true;
    }
    return false;
  }

  // The post-op `op` would be on `result`, or nullopt when it cannot fuse (why, in remarks,
  // for the cases a user might expect to fuse).
  static std::optional<ir::PostOp> describe(const ir::Node& op, const ir::Value& result,
                                            PassContext& context) {
    if (op.output(0)->dtype() != result.dtype() || op.output(0)->shape() != result.shape()) {
      return std::nullopt;
    }
    ir::PostOp post_op;
    post_op.op = op.op();
    post_op.source = op.name();
    post_op.attributes = op.attributes();
    if (op.op() == ir::OpKind::kClip) {
      if (op.input(0) != &result) return std::nullopt;
      const char* bounds[] = {"min", "max"};
      for (std::size_t i = 1; i < op.input_count(); ++i) {
        const ir::Value* bound = op.input(i);
        if (bound == nullptr) continue;
        if (!is_scalar_constant(bound)) {
          context.remarks.push_back(fmt::format(
              "fuse_post_ops: {} not fused: its bound is not a constant", op.describe()));
          return std::nullopt;
        }
        post_op.attributes[bounds[i - 1]] = bound->constant().data<float>()[0];
      }
      return post_op;
    }
    if (ir::has_trait(op.op(), ir::kUnary)) {
      if (op.input(0) != &result) return std::nullopt;
      return post_op;
    }
    // Binary: the result first (either side for Add and Mul).
    if (op.input_count() != 2) return std::nullopt;
    std::size_t other = 1;
    if (op.input(0) != &result) {
      if (op.input(1) != &result || !ir::has_trait(op.op(), ir::kCommutative)) {
        return std::nullopt;
      }
      other = 0;
    }
    const ir::Value* operand = op.input(other);
    if (operand == nullptr || operand == &result || operand->dtype() != DType::kFloat32) {
      return std::nullopt;
    }
    post_op.operand = static_cast<std::ptrdiff_t>(other);  // fixed in rewrite()
    return post_op;
  }

  // Whether `value` is computed from `heavy`'s result: a search back from its producer through
  // nodes after `heavy` in topological order (nothing earlier can depend on it).
  static bool depends_on(const ir::Value* value, const ir::Node* heavy,
                         const std::unordered_map<const ir::Node*, std::size_t>& position) {
    const std::size_t limit = position.at(heavy);
    std::vector<const ir::Node*> stack;
    std::unordered_set<const ir::Node*> seen;
    if (value->producer() != nullptr) stack.push_back(value->producer());
    while (!stack.empty()) {
      const ir::Node* node = stack.back();
      stack.pop_back();
      if (node == heavy) return true;
      if (position.at(node) < limit || !seen.insert(node).second) continue;
      for (const ir::Value* in : node->inputs()) {
        if (in != nullptr && in->producer() != nullptr) stack.push_back(in->producer());
      }
    }
    return false;
  }

  static void rewrite(ir::Graph& graph, ir::Node& heavy, ir::Node& op, ir::PostOp post_op,
                      ir::Value* operand) {
    std::vector<ir::Value*> inputs = heavy.inputs();
    if (!ir::has_post_ops(heavy)) inputs.resize(own_input_slots(heavy.op()), nullptr);
    if (operand != nullptr) {
      post_op.operand = static_cast<std::ptrdiff_t>(inputs.size());
      inputs.push_back(operand);
    }
    ir::Attributes attributes = ir::attributes_with_post_op(heavy, post_op);
    ir::Value* output = op.output(0);
    const std::string name = heavy.name();
    const ir::OpKind kind = heavy.op();
    graph.remove_node(&op);
    graph.remove_node(&heavy);
    graph.add_node(kind, name, std::move(inputs), {output}, std::move(attributes));
    graph.sort_topologically();
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_post_ops() {
  return std::make_unique<FusePostOps>();
}

}  // namespace kiln::compiler::passes
