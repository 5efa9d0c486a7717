#include "kiln/onnx/import.h"

#include <fmt/format.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "kiln/core/error.h"
#include "kiln/ir/window_attributes.h"
#include "kiln/onnx/canonicalize.h"
#include "kiln/onnx/input_shapes.h"
#include "kiln/onnx/model_proto.h"
#include "kiln/onnx/tensor_proto.h"

namespace kiln::onnx {

namespace {

using ::onnx::GraphProto;
using ::onnx::ModelProto;
using ::onnx::NodeProto;

/// What ONNX (the model's declarations plus its shape inference) says about one value.
struct OnnxValueType {
  int elem_type = 0;
  bool has_shape = false;
  std::vector<std::optional<std::int64_t>> dims;

  std::optional<Shape> static_shape() const {
    if (!has_shape) return std::nullopt;
    Shape shape;
    for (const auto& d : dims) {
      if (!d) return std::nullopt;
      shape.dims().push_back(*d);
    }
    return shape;
  }
};

OnnxValueType value_type(const ::onnx::ValueInfoProto& info) {
  OnnxValueType type;
  if (!info.type().has_tensor_type()) return type;
  const auto& tensor_type = info.type().tensor_type();
  type.elem_type = tensor_type.elem_type();
  if (tensor_type.has_shape()) {
    type.has_shape = true;
    for (const auto& dim : tensor_type.shape().dim()) {
      if (dim.has_dim_value() && dim.dim_value() >= 0) {
        type.dims.emplace_back(dim.dim_value());
      } else {
        type.dims.emplace_back(std::nullopt);
      }
    }
  }
  return type;
}

std::string first_line(std::string_view text) {
  const std::size_t end = text.find('\n');
  return std::string(text.substr(0, end));
}

// ONNX's shape inference only cross-checks kiln's own and gives old-opset canonicalisation the
// ranks and dtypes it needs, so it must never reject a model that kiln could run: it runs
// lenient (node-level inference errors are skipped), without the model's stale value_info
// (exported for other input shapes, it would conflict with the fixed ones), and a failure
// becomes a warning.
void run_shape_inference(ModelProto& model, std::vector<std::string>& warnings) {
  GraphProto& graph = *model.mutable_graph();
  graph.clear_value_info();
  for (auto& output : *graph.mutable_output()) {
    if (output.type().has_tensor_type()) {
      output.mutable_type()->mutable_tensor_type()->clear_shape();
    }
  }
  const ::onnx::ShapeInferenceOptions options(/*check_type_val=*/false, /*strict_mode_val=*/0,
                                              /*data_prop_val=*/true);
  try {
    ::onnx::shape_inference::InferShapes(model, ::onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    warnings.push_back(fmt::format(
        "ONNX shape inference failed ({}); kiln's own shape inference will type the graph",
        first_line(e.what())));
  }
}

std::string node_frame(const NodeProto& node, std::int64_t opset) {
  return fmt::format("node '{}' ({}, opset {})", node.name(), node.op_type(), opset);
}

// Constant nodes become constant values: `value` or one of the opset-12 shorthands.
Tensor constant_node_tensor(const NodeProto& node, const ExternalDataDir& external) {
  if (node.attribute_size() != 1) {
    throw_user_error("a Constant needs exactly one value attribute, it has {}",
                     node.attribute_size());
  }
  const auto& attribute = node.attribute(0);
  const std::string& kind = attribute.name();
  if (kind == "value") {
    return tensor_from_proto(attribute.t(), external, "attribute 'value'");
  }
  if (kind == "value_float") {
    Tensor t(DType::kFloat32, Shape{});
    *t.data<float>() = attribute.f();
    return t;
  }
  if (kind == "value_floats") {
    Tensor t(DType::kFloat32, Shape{attribute.floats_size()});
    std::copy(attribute.floats().begin(), attribute.floats().end(), t.data<float>());
    return t;
  }
  if (kind == "value_int") {
    Tensor t(DType::kInt64, Shape{});
    *t.data<std::int64_t>() = attribute.i();
    return t;
  }
  if (kind == "value_ints") {
    Tensor t(DType::kInt64, Shape{attribute.ints_size()});
    std::copy(attribute.ints().begin(), attribute.ints().end(), t.data<std::int64_t>());
    return t;
  }
  if (kind == "sparse_value") {
    throw_user_error("sparse constants (attribute 'sparse_value') are not supported by kiln");
  }
  if (kind == "value_string" || kind == "value_strings") {
    throw_user_error("string constants (attribute '{}') are not supported by kiln", kind);
  }
  throw_user_error("unknown Constant attribute '{}'", kind);
}

// Builds the kiln graph from a checked ModelProto whose input shapes are fixed.
class GraphImporter final : public ImportScope {
 public:
  GraphImporter(ModelProto& model, std::int64_t opset, ExternalDataDir external)
      : model_(model), opset_(opset), external_(std::move(external)) {}

  ir::Graph& graph() override { return graph_; }
  std::int64_t opset() const override { return opset_; }

  bool is_used(const ir::Value* value) const override {
    return value != nullptr && used_names_.contains(value->name());
  }

  std::optional<DType> onnx_dtype(const ir::Value* value) const override {
    const OnnxValueType* type = find_type(value);
    if (type == nullptr) return std::nullopt;
    return dtype_from_onnx(type->elem_type);
  }

  std::optional<std::size_t> onnx_rank(const ir::Value* value) const override {
    if (value != nullptr && value->is_constant()) return value->constant().shape().rank();
    const OnnxValueType* type = find_type(value);
    if (type == nullptr || !type->has_shape) return std::nullopt;
    return type->dims.size();
  }

  std::string unique_node_name(std::string_view base) override {
    std::string name(base);
    for (int i = 1; node_names_.contains(name); ++i) name = fmt::format("{}_{}", base, i);
    node_names_.insert(name);
    return name;
  }

  void collect_types() {
    const GraphProto& graph = model_.graph();
    for (const auto& info : graph.input()) types_[info.name()] = value_type(info);
    for (const auto& info : graph.value_info()) types_[info.name()] = value_type(info);
    for (const auto& info : graph.output()) types_[info.name()] = value_type(info);
  }

  std::map<std::string, Shape, std::less<>> inferred_shapes() const {
    std::map<std::string, Shape, std::less<>> shapes;
    const GraphProto& graph = model_.graph();
    auto record = [&](const ::onnx::ValueInfoProto& info) {
      if (auto shape = value_type(info).static_shape()) shapes[info.name()] = std::move(*shape);
    };
    for (const auto& info : graph.value_info()) record(info);
    for (const auto& info : graph.output()) {
      if (produced_names_.contains(info.name())) record(info);
    }
    return shapes;
  }

  ir::Graph build(const std::vector<FixedInput>& inputs) {
    GraphProto& graph = *model_.mutable_graph();
    collect_node_names();
    for (const auto& node : graph.node()) {
      for (const auto& name : node.input()) used_names_.insert(name);
      for (const auto& name : node.output()) produced_names_.insert(name);
    }
    for (const auto& output : graph.output()) used_names_.insert(output.name());

    for (const FixedInput& input : inputs) {
      ir::Value* value = graph_.add_value(input.name);
      value->set_type(input.dtype, input.shape);
      graph_.inputs().push_back(value);
    }
    add_initializers(graph);
    add_node_outputs(graph);
    for (const NodeProto& node : graph.node()) {
      if (node.op_type() == "Constant") continue;
      with_context([&] { return node_frame(node, opset_); }, [&] { add_node(node); });
    }
    for (const auto& output : graph.output()) {
      ir::Value* value = graph_.find_value(output.name());
      if (value == nullptr) {
        throw_user_error("graph output '{}' is not computed by any node, initializer or input",
                         output.name());
      }
      graph_.outputs().push_back(value);
    }
    graph_.verify();
    return std::move(graph_);
  }

 private:
  const OnnxValueType* find_type(const ir::Value* value) const {
    if (value == nullptr) return nullptr;
    auto it = types_.find(value->name());
    return it == types_.end() ? nullptr : &it->second;
  }

  // Generated names (canonicalisation adds nodes) must not clash with the model's.
  void collect_node_names() {
    for (const auto& node : model_.graph().node()) node_names_.insert(node.name());
  }

  ir::Value* add_onnx_value(const std::string& name) {
    if (graph_.find_value(name) != nullptr) {
      throw_user_error("value '{}' is defined more than once", name);
    }
    return graph_.add_value(name);
  }

  // Initializers nothing reads are skipped: they cost memory and may have types kiln lacks.
  // Each one's protobuf bytes are freed once copied, so a large model is not held twice.
  void add_initializers(GraphProto& graph) {
    for (const auto& sparse : graph.sparse_initializer()) {
      const std::string& name = sparse.values().name();
      if (used_names_.contains(name)) {
        throw_user_error("initializer '{}' is sparse, which kiln does not support", name);
      }
    }
    for (auto& initializer : *graph.mutable_initializer()) {
      if (!used_names_.contains(initializer.name())) continue;
      const std::string what = fmt::format("initializer '{}'", initializer.name());
      Tensor data = tensor_from_proto(initializer, external_, what);
      add_onnx_value(initializer.name())->set_constant(std::move(data));
      std::string().swap(*initializer.mutable_raw_data());
    }
  }

  void add_node_outputs(const GraphProto& graph) {
    for (const NodeProto& node : graph.node()) {
      if (node.op_type() == "Constant") {
        with_context([&] { return node_frame(node, opset_); },
                     [&] {
                       if (node.output_size() != 1) {
                         throw_user_error("a Constant has exactly one output, this one has {}",
                                          node.output_size());
                       }
                       Tensor data = constant_node_tensor(node, external_);
                       add_onnx_value(node.output(0))->set_constant(std::move(data));
                     });
        continue;
      }
      for (const auto& name : node.output()) {
        if (!name.empty()) add_onnx_value(name);
      }
    }
  }

  void add_node(const NodeProto& node) {
    NodeDraft draft;
    draft.name = node.name();
    draft.op_type = node.op_type();
    for (const auto& input_name : node.input()) {
      if (input_name.empty()) {
        draft.inputs.push_back(nullptr);
        continue;
      }
      ir::Value* value = graph_.find_value(input_name);
      if (value == nullptr) {
        throw_user_error("input '{}' is not computed by any node, initializer or graph input",
                         input_name);
      }
      draft.inputs.push_back(value);
    }
    for (const auto& output_name : node.output()) {
      draft.outputs.push_back(output_name.empty() ? nullptr : graph_.find_value(output_name));
    }
    for (const auto& attribute : node.attribute()) {
      draft.attributes[attribute.name()] = attribute_from_proto(attribute, external_);
    }
    for (NodeDraft& canonical : canonicalize_node(std::move(draft), *this)) {
      emit(canonical);
    }
  }

  void emit(NodeDraft& draft) {
    const std::optional<ir::OpKind> op = ir::find_op(draft.op_type);
    KILN_CHECK(op.has_value(), "canonicalisation produced unknown op '{}'", draft.op_type);
    while (!draft.inputs.empty() && draft.inputs.back() == nullptr) draft.inputs.pop_back();
    while (!draft.outputs.empty() && draft.outputs.back() == nullptr) draft.outputs.pop_back();
    // An unnamed output between named ones still needs a value to write to.
    for (std::size_t i = 0; i < draft.outputs.size(); ++i) {
      if (draft.outputs[i] == nullptr) {
        draft.outputs[i] =
            graph_.add_value(graph_.unique_name(fmt::format("{}_unused_output_{}", draft.name, i)));
      }
    }
    if (draft.outputs.empty()) throw_user_error("the node has no outputs");
    graph_.add_node(*op, draft.name, std::move(draft.inputs), std::move(draft.outputs),
                    std::move(draft.attributes));
  }

  ModelProto& model_;
  std::int64_t opset_;
  ExternalDataDir external_;
  ir::Graph graph_;
  std::unordered_map<std::string, OnnxValueType> types_;
  std::unordered_set<std::string> used_names_;
  std::unordered_set<std::string> produced_names_;
  std::unordered_set<std::string> node_names_;
};

// Fails on the first node kiln cannot import, before any weights are read, and names the
// other unsupported op types too so the user sees the whole problem at once.
void check_supported_ops(const GraphProto& graph, std::int64_t opset) {
  const NodeProto* first = nullptr;
  std::vector<std::string> others;
  for (const NodeProto& node : graph.node()) {
    if (is_supported_onnx_op(node.op_type())) continue;
    if (first == nullptr) {
      first = &node;
    } else if (node.op_type() != first->op_type() &&
               std::find(others.begin(), others.end(), node.op_type()) == others.end()) {
      others.push_back(node.op_type());
    }
  }
  if (first == nullptr) return;
  std::string message = "operator not supported by kiln";
  if (!others.empty()) {
    message += fmt::format(" (the model also uses unsupported {})", fmt::join(others, ", "));
  }
  throw Error(ErrorKind::kUser, message).add_context(node_frame(*first, opset));
}

// ONNX's shape inference divides by strides and dilations without checking them, so the
// sliding-window attributes are checked first: a zero is an error naming the node, not SIGFPE.
void check_window_attributes(const GraphProto& graph, std::int64_t opset) {
  for (const NodeProto& node : graph.node()) {
    if (!ir::has_window_attributes(node.op_type())) continue;
    for (const auto& attribute : node.attribute()) {
      if (!ir::window_attribute_minimum(attribute.name())) continue;
      const std::vector<std::int64_t> values(attribute.ints().begin(), attribute.ints().end());
      ir::check_window_attribute(node_frame(node, opset), attribute.name(), values);
    }
  }
}

std::string producer_of(const ModelProto& model) {
  std::string producer = model.producer_name();
  if (!model.producer_version().empty()) {
    if (!producer.empty()) producer += ' ';
    producer += model.producer_version();
  }
  return producer;
}

ImportedModel import_proto(ModelProto& model, const std::filesystem::path& base_dir,
                           const ImportOptions& options) {
  ImportedModel imported;
  name_unnamed_nodes(*model.mutable_graph());
  imported.ir_version = model.ir_version();
  imported.producer = producer_of(model);
  imported.opset = check_opsets(model);
  const ExternalDataDir external{base_dir};
  check_external_data_files(model.graph(), external);
  run_onnx_checker(model, base_dir);
  check_supported_ops(model.graph(), imported.opset);
  check_window_attributes(model.graph(), imported.opset);

  std::unordered_set<std::string> initializer_names;
  for (const auto& initializer : model.graph().initializer()) {
    initializer_names.insert(initializer.name());
  }
  add_constant_inputs(*model.mutable_graph(), initializer_names, options);
  const std::vector<FixedInput> inputs =
      fix_input_shapes(*model.mutable_graph(), initializer_names, options);
  run_shape_inference(model, imported.warnings);

  GraphImporter importer(model, imported.opset, external);
  importer.collect_types();
  imported.graph = importer.build(inputs);
  imported.onnx_inferred_shapes = importer.inferred_shapes();
  return imported;
}

}  // namespace

ImportedModel import_model(const std::filesystem::path& path, const ImportOptions& options) {
  return with_context([&] { return fmt::format("while importing '{}'", path.string()); },
                      [&] {
                        ModelProto model = parse_model_file(path);
                        std::filesystem::path base_dir = path.parent_path();
                        if (base_dir.empty()) base_dir = ".";
                        return import_proto(model, base_dir, options);
                      });
}

ImportedModel import_model_bytes(std::string_view bytes, const std::string& name,
                                 const std::filesystem::path& base_dir,
                                 const ImportOptions& options) {
  return with_context([&] { return fmt::format("while importing '{}'", name); },
                      [&] {
                        ModelProto model = parse_model_bytes(bytes);
                        return import_proto(model, base_dir, options);
                      });
}

}  // namespace kiln::onnx
