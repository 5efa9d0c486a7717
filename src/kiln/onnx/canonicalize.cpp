#include "kiln/onnx/canonicalize.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "kiln/core/error.h"
#include "kiln/onnx/tensor_proto.h"

namespace kiln::onnx {

namespace {

using Drafts = std::vector<NodeDraft>;
using Handler = Drafts (*)(NodeDraft& draft, ImportScope& scope);

// ---- attribute and input helpers ----

template <typename T>
std::optional<T> take_attribute(NodeDraft& draft, std::string_view name,
                                std::string_view expected) {
  auto it = draft.attributes.find(name);
  if (it == draft.attributes.end()) return std::nullopt;
  T* value = std::get_if<T>(&it->second);
  if (value == nullptr) {
    throw_user_error("attribute '{}' is {}, expected {}", name, ir::attribute_type_name(it->second),
                     expected);
  }
  T out = std::move(*value);
  draft.attributes.erase(it);
  return out;
}

std::optional<std::vector<std::int64_t>> take_ints(NodeDraft& draft, std::string_view name) {
  return take_attribute<std::vector<std::int64_t>>(draft, name, "ints");
}

std::optional<std::int64_t> take_int(NodeDraft& draft, std::string_view name) {
  return take_attribute<std::int64_t>(draft, name, "int");
}

std::optional<float> take_float(NodeDraft& draft, std::string_view name) {
  return take_attribute<float>(draft, name, "float");
}

std::optional<std::string> take_string(NodeDraft& draft, std::string_view name) {
  return take_attribute<std::string>(draft, name, "string");
}

std::int64_t int_attribute(const NodeDraft& draft, std::string_view name, std::int64_t fallback) {
  auto it = draft.attributes.find(name);
  if (it == draft.attributes.end()) return fallback;
  if (const auto* value = std::get_if<std::int64_t>(&it->second)) return *value;
  throw_user_error("attribute '{}' is {}, expected int", name, ir::attribute_type_name(it->second));
}

ir::Value* input(const NodeDraft& draft, std::size_t i) {
  return i < draft.inputs.size() ? draft.inputs[i] : nullptr;
}

void set_input(NodeDraft& draft, std::size_t i, ir::Value* value) {
  if (draft.inputs.size() <= i) draft.inputs.resize(i + 1, nullptr);
  draft.inputs[i] = value;
}

ir::Value* add_constant(ImportScope& scope, const NodeDraft& draft, std::string_view what,
                        Tensor data) {
  ir::Graph& graph = scope.graph();
  return graph.add_constant(graph.unique_name(fmt::format("{}_{}", draft.name, what)),
                            std::move(data));
}

ir::Value* add_intermediate(ImportScope& scope, const NodeDraft& draft, std::string_view what) {
  ir::Graph& graph = scope.graph();
  return graph.add_value(graph.unique_name(fmt::format("{}_{}", draft.name, what)));
}

Tensor int64_vector_tensor(const std::vector<std::int64_t>& values) {
  Tensor t(DType::kInt64, Shape{static_cast<std::int64_t>(values.size())});
  std::copy(values.begin(), values.end(), t.data<std::int64_t>());
  return t;
}

Tensor float_vector_tensor(const std::vector<float>& values) {
  Tensor t(DType::kFloat32, Shape{static_cast<std::int64_t>(values.size())});
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

// A rank-0 tensor of the data's float type holding `value`: Clip-6's min/max and Pad-2's value
// were float attributes of ops defined on float types only; since opset 11 they are inputs of
// the data's own type.
Tensor scalar_tensor(DType dtype, float value) {
  if (dtype == DType::kFloat16) {
    Tensor t(DType::kFloat16, Shape{});
    *static_cast<std::uint16_t*>(t.raw()) = float_to_half(value);
    return t;
  }
  if (dtype == DType::kFloat64) {
    Tensor t(DType::kFloat64, Shape{});
    *t.data<double>() = value;
    return t;
  }
  Tensor t(DType::kFloat32, Shape{});
  *t.data<float>() = value;
  return t;
}

DType data_dtype(const NodeDraft& draft, ImportScope& scope) {
  ir::Value* data = input(draft, 0);
  if (data == nullptr) return DType::kFloat32;
  if (data->is_constant()) return data->constant().dtype();
  return scope.onnx_dtype(data).value_or(DType::kFloat32);
}

// Optional outputs kiln never computes (training statistics, indices, masks): fine when
// nothing reads them, an error otherwise. Keeps outputs [0, keep).
void drop_unused_outputs(NodeDraft& draft, ImportScope& scope, std::size_t keep,
                         std::string_view why) {
  for (std::size_t i = keep; i < draft.outputs.size(); ++i) {
    const ir::Value* out = draft.outputs[i];
    if (out != nullptr && scope.is_used(out)) {
      throw_user_error("output {} ('{}') is used, but {}", i, out->name(), why);
    }
  }
  if (draft.outputs.size() > keep) {
    draft.outputs.erase(draft.outputs.begin() + static_cast<std::ptrdiff_t>(keep),
                        draft.outputs.end());
  }
}

// ---- per-op canonicalisation ----

// Slice-1: starts/ends/axes attributes -> inputs (Slice-10 added them as inputs, and steps).
Drafts canonicalize_slice(NodeDraft& draft, ImportScope& scope) {
  if (scope.opset() >= 10) return {std::move(draft)};
  auto starts = take_ints(draft, "starts");
  auto ends = take_ints(draft, "ends");
  auto axes = take_ints(draft, "axes");
  if (!starts || !ends) throw_user_error("attributes 'starts' and 'ends' are required");
  set_input(draft, 1, add_constant(scope, draft, "starts", int64_vector_tensor(*starts)));
  set_input(draft, 2, add_constant(scope, draft, "ends", int64_vector_tensor(*ends)));
  if (axes) set_input(draft, 3, add_constant(scope, draft, "axes", int64_vector_tensor(*axes)));
  return {std::move(draft)};
}

// Pad-2: pads/value attributes -> inputs (Pad-11).
Drafts canonicalize_pad(NodeDraft& draft, ImportScope& scope) {
  if (scope.opset() >= 11) return {std::move(draft)};
  auto pads = take_ints(draft, "pads");
  auto value = take_float(draft, "value");
  if (!pads) throw_user_error("attribute 'pads' is required");
  set_input(draft, 1, add_constant(scope, draft, "pads", int64_vector_tensor(*pads)));
  if (value) {
    set_input(draft, 2,
              add_constant(scope, draft, "value", scalar_tensor(data_dtype(draft, scope), *value)));
  }
  return {std::move(draft)};
}

// Clip-6: min/max attributes -> inputs (Clip-11).
Drafts canonicalize_clip(NodeDraft& draft, ImportScope& scope) {
  if (scope.opset() >= 11) return {std::move(draft)};
  auto min = take_float(draft, "min");
  auto max = take_float(draft, "max");
  const DType dtype = data_dtype(draft, scope);
  if (min) set_input(draft, 1, add_constant(scope, draft, "min", scalar_tensor(dtype, *min)));
  if (max) set_input(draft, 2, add_constant(scope, draft, "max", scalar_tensor(dtype, *max)));
  return {std::move(draft)};
}

// Split-2..12: `split` attribute -> input (Split-13).
Drafts canonicalize_split(NodeDraft& draft, ImportScope& scope) {
  if (scope.opset() >= 13) return {std::move(draft)};
  if (auto split = take_ints(draft, "split")) {
    set_input(draft, 1, add_constant(scope, draft, "split", int64_vector_tensor(*split)));
  }
  return {std::move(draft)};
}

// Squeeze/Unsqueeze-1..12: `axes` attribute -> input (opset 13).
Drafts canonicalize_axes_to_input(NodeDraft& draft, ImportScope& scope) {
  if (scope.opset() >= 13) return {std::move(draft)};
  if (auto axes = take_ints(draft, "axes")) {
    set_input(draft, 1, add_constant(scope, draft, "axes", int64_vector_tensor(*axes)));
  }
  return {std::move(draft)};
}

// ReduceSum-13 takes axes as an input; kiln keeps every Reduce op's axes as an attribute, so
// the input must be a constant.
Drafts canonicalize_reduce_sum(NodeDraft& draft, ImportScope& scope) {
  if (scope.opset() < 13) return {std::move(draft)};
  ir::Value* axes = input(draft, 1);
  if (axes != nullptr) {
    if (!axes->is_constant()) {
      throw_user_error(
          "input 1 (axes, '{}') is computed at run time; kiln needs ReduceSum's axes as a "
          "constant",
          axes->name());
    }
    std::vector<std::int64_t> values = axes->constant().to_int64_vector();
    if (!values.empty()) draft.attributes["axes"] = std::move(values);
    draft.inputs.resize(1);
  }
  return {std::move(draft)};
}

// TopK-1: `k` attribute -> input of shape [1] (TopK-10).
Drafts canonicalize_topk(NodeDraft& draft, ImportScope& scope) {
  if (scope.opset() >= 10) return {std::move(draft)};
  auto k = take_int(draft, "k");
  if (!k) throw_user_error("attribute 'k' is required");
  set_input(draft, 1, add_constant(scope, draft, "k", int64_vector_tensor({*k})));
  return {std::move(draft)};
}

// Upsample-7..9 and Resize-10 sample with output coordinate x_out / scale (ONNX's
// "asymmetric") and, for nearest, take the floor; Resize-11 made both attributes with other
// defaults, so spell them out. ONNX's own 10->11 adapter of libonnx 1.12 forgets this.
void set_legacy_resize_modes(NodeDraft& draft) {
  std::string mode = take_string(draft, "mode").value_or("nearest");
  if (mode == "bilinear" || mode == "trilinear") mode = "linear";
  if (mode != "nearest" && mode != "linear") {
    throw_user_error("attribute mode is '{}', expected 'nearest' or 'linear'", mode);
  }
  draft.attributes["mode"] = mode;
  draft.attributes["coordinate_transformation_mode"] = std::string("asymmetric");
  if (mode == "nearest") draft.attributes["nearest_mode"] = std::string("floor");
}

// Upsample-7 (scales attribute) and Upsample-9 (scales input) -> Resize(X, roi=_, scales).
Drafts canonicalize_upsample(NodeDraft& draft, ImportScope& scope) {
  ir::Value* scales = nullptr;
  if (auto attribute = take_attribute<std::vector<float>>(draft, "scales", "floats")) {
    scales = add_constant(scope, draft, "scales", float_vector_tensor(*attribute));
  } else {
    scales = input(draft, 1);
  }
  if (scales == nullptr) throw_user_error("the scales are missing");
  set_legacy_resize_modes(draft);
  draft.op_type = "Resize";
  draft.inputs = {input(draft, 0), nullptr, scales};
  return {std::move(draft)};
}

bool is_empty_constant(const ir::Value* value) {
  return value != nullptr && value->is_constant() && value->constant().numel() == 0;
}

// Resize-10 (X, scales) -> Resize(X, roi=_, scales). Resize-11 needs placeholders where
// Resize-13 allows absent inputs (an empty roi, empty scales next to sizes): make them absent.
Drafts canonicalize_resize(NodeDraft& draft, ImportScope& scope) {
  if (scope.opset() < 11) {
    ir::Value* scales = input(draft, 1);
    set_legacy_resize_modes(draft);
    draft.inputs = {input(draft, 0), nullptr, scales};
    return {std::move(draft)};
  }
  for (std::size_t i = 1; i < draft.inputs.size(); ++i) {
    if (is_empty_constant(draft.inputs[i])) draft.inputs[i] = nullptr;
  }
  auto mode = draft.attributes.find("coordinate_transformation_mode");
  const bool crops = mode != draft.attributes.end() &&
                     std::holds_alternative<std::string>(mode->second) &&
                     std::get<std::string>(mode->second) == "tf_crop_and_resize";
  // roi only matters for tf_crop_and_resize; exporters fill it in regardless.
  if (!crops && draft.inputs.size() > 1) draft.inputs[1] = nullptr;
  return {std::move(draft)};
}

// Softmax/LogSoftmax before opset 13 coerce the input to 2-D at `axis` (default 1) and
// normalise over the flattened tail. Same as opset 13 when axis is the last dim; otherwise
// Flatten -> Softmax(axis=-1) -> Reshape to the input's shape.
Drafts canonicalize_softmax(NodeDraft& draft, ImportScope& scope) {
  if (scope.opset() >= 13) return {std::move(draft)};
  const std::int64_t axis = int_attribute(draft, "axis", 1);
  ir::Value* data = input(draft, 0);
  bool over_last_axis = axis == -1;
  if (const std::optional<std::size_t> rank = scope.onnx_rank(data)) {
    const auto r = static_cast<std::int64_t>(*rank);
    if (axis < -r || axis >= std::max<std::int64_t>(r, 1)) {
      throw_user_error("attribute axis is {}, out of range for an input of rank {}", axis, r);
    }
    over_last_axis = over_last_axis || axis == r - 1 || r == 0;
  }
  if (over_last_axis) {
    draft.attributes["axis"] = std::int64_t{-1};
    return {std::move(draft)};
  }
  if (draft.outputs.empty() || draft.outputs[0] == nullptr) {
    throw_user_error("output 0 is missing");
  }
  ir::Value* output = draft.outputs[0];
  ir::Value* flat = add_intermediate(scope, draft, "flat");
  ir::Value* normalized = add_intermediate(scope, draft, "2d");
  ir::Value* shape = add_intermediate(scope, draft, "shape");

  NodeDraft flatten{
      scope.unique_node_name(draft.name + "_flatten"), "Flatten", {data}, {flat}, {{"axis", axis}}};
  NodeDraft softmax{draft.name, draft.op_type, {flat}, {normalized}, {{"axis", std::int64_t{-1}}}};
  NodeDraft shape_of{scope.unique_node_name(draft.name + "_shape"), "Shape", {data}, {shape}, {}};
  NodeDraft reshape{scope.unique_node_name(draft.name + "_reshape"),
                    "Reshape",
                    {normalized, shape},
                    {output},
                    {}};
  return {std::move(flatten), std::move(softmax), std::move(shape_of), std::move(reshape)};
}

// Cast's `to` is a TensorProto::DataType number in ONNX, a dtype name in kiln.
Drafts canonicalize_cast(NodeDraft& draft, ImportScope&) {
  auto to = take_int(draft, "to");
  if (!to) throw_user_error("attribute 'to' is required");
  const std::optional<DType> dtype = dtype_from_onnx(static_cast<int>(*to));
  if (!dtype) {
    throw_user_error("casts to {}, which kiln does not support",
                     onnx_type_name(static_cast<int>(*to)));
  }
  draft.attributes["to"] = std::string(dtype_name(*dtype));
  return {std::move(draft)};
}

// Dropout at inference is the identity; its mask and a training_mode of true are not.
Drafts canonicalize_dropout(NodeDraft& draft, ImportScope& scope) {
  ir::Value* training = input(draft, 2);
  if (training != nullptr && !training->is_constant()) {
    // Identity would be silently wrong whenever the caller passes true.
    throw_user_error(
        "input 2 (training_mode, '{}') is given at run time; kiln runs Dropout in "
        "inference mode only and needs it to be a constant false",
        training->name());
  }
  if (training != nullptr && training->constant().numel() == 1 &&
      training->constant().to_int64_vector()[0] != 0) {
    throw_user_error("training_mode is true; kiln runs Dropout in inference mode only");
  }
  drop_unused_outputs(draft, scope, 1, "kiln runs Dropout in inference mode and has no mask");
  draft.op_type = "Identity";
  draft.inputs.resize(1);
  draft.attributes.clear();
  return {std::move(draft)};
}

Drafts canonicalize_batch_normalization(NodeDraft& draft, ImportScope& scope) {
  if (take_int(draft, "training_mode").value_or(0) != 0) {
    throw_user_error("training_mode=1 is not supported; kiln runs inference only");
  }
  if (take_int(draft, "spatial").value_or(1) == 0) {
    throw_user_error("spatial=0 (per-activation statistics) is not supported");
  }
  draft.attributes.erase("momentum");
  drop_unused_outputs(draft, scope, 1,
                      "kiln runs BatchNormalization in inference mode (no batch statistics)");
  return {std::move(draft)};
}

Drafts canonicalize_max_pool(NodeDraft& draft, ImportScope& scope) {
  draft.attributes.erase("storage_order");  // only affects the Indices output
  drop_unused_outputs(draft, scope, 1, "kiln's MaxPool does not compute Indices");
  return {std::move(draft)};
}

Drafts canonicalize_layer_normalization(NodeDraft& draft, ImportScope& scope) {
  // kiln accumulates in double, at least the precision stash_type=1 (float32) asks for; the
  // Mean and InvStdDev outputs are computed when used.
  draft.attributes.erase("stash_type");
  return {std::move(draft)};
}

// Shape-15 added start/end; kiln's Shape is opset 13's, so slice the full shape instead.
Drafts canonicalize_shape(NodeDraft& draft, ImportScope& scope) {
  const std::int64_t start = take_int(draft, "start").value_or(0);
  const std::optional<std::int64_t> end = take_int(draft, "end");
  if (start == 0 && !end) return {std::move(draft)};
  if (draft.outputs.empty() || draft.outputs[0] == nullptr) {
    throw_user_error("output 0 is missing");
  }
  ir::Value* output = draft.outputs[0];
  ir::Value* full = add_intermediate(scope, draft, "full");
  draft.outputs = {full};
  NodeDraft slice{
      scope.unique_node_name(draft.name + "_slice"),
      "Slice",
      {full, add_constant(scope, draft, "start", int64_vector_tensor({start})),
       add_constant(scope, draft, "end",
                    int64_vector_tensor({end.value_or(std::numeric_limits<std::int64_t>::max())})),
       add_constant(scope, draft, "axis", int64_vector_tensor({0}))},
      {output},
      {}};
  return {std::move(draft), std::move(slice)};
}

struct HandlerEntry {
  std::string_view op_type;
  Handler handler;
};

// Ops whose meaning or form differs across opsets 7..17 or from kiln's conventions. Every other
// supported op means the same in every opset kiln accepts and passes through unchanged.
constexpr HandlerEntry kHandlers[] = {
    {"BatchNormalization", canonicalize_batch_normalization},
    {"Cast", canonicalize_cast},
    {"Clip", canonicalize_clip},
    {"Dropout", canonicalize_dropout},
    {"LayerNormalization", canonicalize_layer_normalization},
    {"LogSoftmax", canonicalize_softmax},
    {"MaxPool", canonicalize_max_pool},
    {"Pad", canonicalize_pad},
    {"ReduceSum", canonicalize_reduce_sum},
    {"Resize", canonicalize_resize},
    {"Shape", canonicalize_shape},
    {"Slice", canonicalize_slice},
    {"Softmax", canonicalize_softmax},
    {"Split", canonicalize_split},
    {"Squeeze", canonicalize_axes_to_input},
    {"TopK", canonicalize_topk},
    {"Unsqueeze", canonicalize_axes_to_input},
    {"Upsample", canonicalize_upsample},
};

// ONNX op types kiln imports without a kiln op of the same name.
// ONNX ops kiln imports as something else: Constant nodes become constant values, the others
// become kiln ops of another name.
constexpr std::string_view kImportedAsOtherOps[] = {"Constant", "Dropout", "Upsample"};
// kiln ops that ONNX (up to opset 17) has not: created by kiln's own passes only.
constexpr std::string_view kKilnOnlyOps[] = {"Gelu", "Silu"};

}  // namespace

bool is_supported_onnx_op(std::string_view op_type) {
  if (std::find(std::begin(kImportedAsOtherOps), std::end(kImportedAsOtherOps), op_type) !=
      std::end(kImportedAsOtherOps)) {
    return true;
  }
  if (std::find(std::begin(kKilnOnlyOps), std::end(kKilnOnlyOps), op_type) !=
      std::end(kKilnOnlyOps)) {
    return false;
  }
  return ir::find_op(op_type).has_value();
}

std::vector<NodeDraft> canonicalize_node(NodeDraft draft, ImportScope& scope) {
  for (const HandlerEntry& entry : kHandlers) {
    if (entry.op_type == draft.op_type) return entry.handler(draft, scope);
  }
  return {std::move(draft)};
}

}  // namespace kiln::onnx
