// A zero Pad of the spatial axes right before a Conv (TensorFlow-style "same" padding, as
// EfficientDet's exporters write it: Pad then Conv with no padding) becomes the Conv's own
// padding: no padded copy of the activation, and oneDNN pads on the fly. The Pad must be the
// Conv's data input and have no other reader, pad only spatial axes by non-negative amounts, in
// constant mode with the value 0, and the Conv must not use auto_pad.

#include "kiln/compiler/passes/passes.h"

namespace kiln::compiler::passes {

namespace {

// The Pad's spatial pads as Conv's pads [begin..., end...], or empty when it cannot fold.
std::vector<std::int64_t> spatial_pads(const ir::Node& pad, std::size_t rank) {
  if (pad.attr_string("mode", "constant") != "constant") return {};
  const ir::Value* pads = pad.input(1);
  if (pads == nullptr || !pads->is_constant() || pads->dtype() != DType::kInt64) return {};
  if (pad.input_count() > 3) return {};  // opset 18 axes: not canonicalised here
  if (const ir::Value* value = pad.input(2); value != nullptr) {
    if (!value->is_constant() || value->dtype() != DType::kFloat32 ||
        value->constant().numel() != 1 || value->constant().data<float>()[0] != 0.f) {
      return {};
    }
  }
  const std::vector<std::int64_t> all = pads->constant().to_int64_vector();
  if (all.size() != 2 * rank) return {};
  for (std::size_t axis = 0; axis < rank; ++axis) {
    if (all[axis] < 0 || all[rank + axis] < 0) return {};
    if (axis < 2 && (all[axis] != 0 || all[rank + axis] != 0)) return {};
  }
  std::vector<std::int64_t> result;
  for (std::size_t axis = 2; axis < rank; ++axis) result.push_back(all[axis]);
  for (std::size_t axis = 2; axis < rank; ++axis) result.push_back(all[rank + axis]);
  return result;
}

class FoldPadIntoConv final : public Pass {
 public:
  std::string_view name() const override { return "fold_pad_into_conv"; }

  bool run(ir::Graph& graph, PassContext& context) override {
    bool changed = false;
    const auto consumers = graph.consumer_map();
    for (ir::Node* conv : graph.nodes()) {
      if (conv->op() != ir::OpKind::kConv) continue;
      ir::Node* pad = conv->input(0)->producer();
      if (pad == nullptr || pad->op() != ir::OpKind::kPad) continue;
      const ir::Value* padded = pad->output(0);
      auto it = consumers.find(padded);
      if (graph.is_graph_output(padded) || it == consumers.end() || it->second.size() != 1) {
        continue;
      }
      if (conv->attr_string("auto_pad", "NOTSET") != "NOTSET") {
        context.remarks.push_back(
            fmt::format("fold_pad_into_conv: {} not folded into {}: the Conv uses auto_pad",
                        pad->describe(), conv->describe()));
        continue;
      }
      const std::size_t rank = padded->shape().rank();
      const std::vector<std::int64_t> extra = spatial_pads(*pad, rank);
      if (extra.empty()) continue;
      std::vector<std::int64_t> pads =
          conv->attr_ints("pads", std::vector<std::int64_t>(extra.size(), 0));
      if (pads.size() != extra.size()) continue;
      for (std::size_t i = 0; i < pads.size(); ++i) pads[i] += extra[i];
      conv->attributes()["pads"] = pads;
      conv->set_input(0, pad->input(0));
      // The Pad now feeds nothing; eliminate_dead_nodes removes it.
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> make_fold_pad_into_conv() {
  return std::make_unique<FoldPadIntoConv>();
}

}  // namespace kiln::compiler::passes
