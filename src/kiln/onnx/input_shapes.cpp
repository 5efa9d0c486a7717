#include "kiln/onnx/input_shapes.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/checked_arithmetic.h"
#include "kiln/core/error.h"
#include "kiln/onnx/tensor_proto.h"

namespace kiln::onnx {

namespace {

using ::onnx::TensorShapeProto;

bool is_static(const TensorShapeProto::Dimension& dim) {
  return dim.has_dim_value() && dim.dim_value() >= 0;
}

std::string describe_dims(const TensorShapeProto& shape) {
  std::vector<std::string> dims;
  for (const auto& dim : shape.dim()) {
    if (is_static(dim)) {
      dims.push_back(std::to_string(dim.dim_value()));
    } else if (dim.has_dim_param() && !dim.dim_param().empty()) {
      dims.push_back(dim.dim_param());
    } else {
      dims.emplace_back("?");
    }
  }
  return fmt::format("[{}]", fmt::join(dims, ","));
}

std::string shape_flag(const std::string& name, const std::vector<std::int64_t>& dims) {
  return fmt::format("--shape {}:{}", name, fmt::join(dims, ","));
}

std::string quoted_names(const std::vector<const ::onnx::ValueInfoProto*>& inputs) {
  std::vector<std::string> names;
  for (const auto* input : inputs) names.push_back(fmt::format("'{}'", input->name()));
  return fmt::format("{}", fmt::join(names, ", "));
}

// Checks dims the user chose for an input against the model's declaration: same rank, and
// equal wherever the model has a static dim. `what` names the user's choice in messages.
void check_user_dims(const ::onnx::ValueInfoProto& input, const std::vector<std::int64_t>& given,
                     const std::string& what) {
  const std::string& name = input.name();
  const auto& tensor_type = input.type().tensor_type();
  if (!tensor_type.has_shape()) return;  // the model leaves the whole shape open
  const TensorShapeProto& model_shape = tensor_type.shape();
  if (static_cast<std::size_t>(model_shape.dim_size()) != given.size()) {
    throw_user_error("{} has rank {}, but the model's input '{}' has rank {} {}", what,
                     given.size(), name, model_shape.dim_size(), describe_dims(model_shape));
  }
  for (int i = 0; i < model_shape.dim_size(); ++i) {
    const auto& dim = model_shape.dim(i);
    if (is_static(dim) && dim.dim_value() != given[static_cast<std::size_t>(i)]) {
      throw_user_error(
          "{} gives dim {} as {}, but the model fixes it to {} (input '{}' has shape {}); only "
          "symbolic dims can be chosen",
          what, i, given[static_cast<std::size_t>(i)], dim.dim_value(), name,
          describe_dims(model_shape));
    }
  }
}

std::vector<std::int64_t> dims_from_user(const ::onnx::ValueInfoProto& input,
                                         const std::vector<std::int64_t>& given) {
  const std::string flag = shape_flag(input.name(), given);
  for (std::size_t i = 0; i < given.size(); ++i) {
    if (given[i] < 0) {
      throw_user_error("{}: dim {} is {}; dims cannot be negative", flag, i, given[i]);
    }
  }
  check_user_dims(input, given, flag);
  return given;
}

[[noreturn]] void unknown_input(const std::string& what, const std::string& name,
                                const std::vector<const ::onnx::ValueInfoProto*>& inputs) {
  if (inputs.empty()) {
    throw_user_error("{} names input '{}', but the model has no inputs", what, name);
  }
  throw_user_error("{} names input '{}', but the model's inputs are {}", what, name,
                   quoted_names(inputs));
}

const ::onnx::ValueInfoProto* find_input(const std::vector<const ::onnx::ValueInfoProto*>& inputs,
                                         std::string_view name) {
  for (const auto* input : inputs) {
    if (input->name() == name) return input;
  }
  return nullptr;
}

int onnx_type_of(DType dtype) {
  for (int type = ::onnx::TensorProto::DataType_MIN; type <= ::onnx::TensorProto::DataType_MAX;
       ++type) {
    if (dtype_from_onnx(type) == dtype) return type;
  }
  throw_internal_error("dtype {} has no ONNX type", dtype_name(dtype));
}

std::vector<std::int64_t> dims_from_model(const ::onnx::ValueInfoProto& input,
                                          std::int64_t default_batch) {
  const std::string& name = input.name();
  const auto& tensor_type = input.type().tensor_type();
  if (!tensor_type.has_shape()) {
    throw_user_error("input '{}' has no shape in the model; give one with --shape {}:D0,D1,...",
                     name, name);
  }
  const TensorShapeProto& model_shape = tensor_type.shape();
  std::vector<std::int64_t> dims;
  for (int i = 0; i < model_shape.dim_size(); ++i) {
    const auto& dim = model_shape.dim(i);
    if (is_static(dim)) {
      dims.push_back(dim.dim_value());
    } else if (i == 0) {
      dims.push_back(default_batch);
    } else {
      const std::string symbol = dim.has_dim_param() && !dim.dim_param().empty()
                                     ? fmt::format(" ('{}')", dim.dim_param())
                                     : std::string();
      throw_user_error(
          "input '{}' has shape {} and dim {}{} is symbolic; give its size with --shape "
          "{}:D0,D1,...",
          name, describe_dims(model_shape), i, symbol, name);
    }
  }
  return dims;
}

void write_dims(::onnx::ValueInfoProto& input, const std::vector<std::int64_t>& dims) {
  TensorShapeProto* shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->clear_dim();
  for (std::int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

}  // namespace

std::vector<const ::onnx::ValueInfoProto*> runtime_inputs(
    const ::onnx::GraphProto& graph, const std::unordered_set<std::string>& initializer_names) {
  std::vector<const ::onnx::ValueInfoProto*> inputs;
  for (const auto& input : graph.input()) {
    if (!initializer_names.contains(input.name())) inputs.push_back(&input);
  }
  return inputs;
}

std::vector<FixedInput> fix_input_shapes(::onnx::GraphProto& graph,
                                         const std::unordered_set<std::string>& initializer_names,
                                         const ImportOptions& options) {
  if (options.default_batch <= 0) {
    throw_user_error("the default batch size must be positive, got {}", options.default_batch);
  }
  const auto inputs = runtime_inputs(graph, initializer_names);
  for (const auto& [name, dims] : options.input_shapes) {
    if (find_input(inputs, name) == nullptr) unknown_input(shape_flag(name, dims), name, inputs);
  }

  std::vector<FixedInput> fixed;
  for (auto& input : *graph.mutable_input()) {
    if (initializer_names.contains(input.name())) continue;
    const std::string& name = input.name();
    if (!input.type().has_tensor_type()) {
      throw_user_error(
          "input '{}' is not a tensor; kiln supports tensor inputs only (no sequences, maps or "
          "optionals)",
          name);
    }
    const int elem_type = input.type().tensor_type().elem_type();
    const std::optional<DType> dtype = dtype_from_onnx(elem_type);
    if (!dtype) {
      throw_user_error("input '{}' has data type {}, which kiln does not support", name,
                       onnx_type_name(elem_type));
    }
    auto given = options.input_shapes.find(name);
    const bool user_shape = given != options.input_shapes.end();
    std::vector<std::int64_t> dims = user_shape ? dims_from_user(input, given->second)
                                                : dims_from_model(input, options.default_batch);
    // Before ONNX shape inference and any allocation: an overflowing or machine-sized input is
    // an error here, not a wrapped count later.
    checked_tensor_bytes(dims, *dtype,
                         user_shape
                             ? fmt::format("input '{}' ({})", name, shape_flag(name, dims))
                             : fmt::format("input '{}' at batch {}", name, options.default_batch));
    write_dims(input, dims);
    fixed.push_back({name, *dtype, Shape(std::move(dims))});
  }
  return fixed;
}

void add_constant_inputs(::onnx::GraphProto& graph,
                         std::unordered_set<std::string>& initializer_names,
                         const ImportOptions& options) {
  const auto inputs = runtime_inputs(graph, initializer_names);
  for (const auto& [name, data] : options.constant_inputs) {
    const std::string what = fmt::format("constant input '{}' ({})", name, data.description());
    const ::onnx::ValueInfoProto* input = find_input(inputs, name);
    if (input == nullptr) unknown_input(what, name, inputs);
    if (options.input_shapes.contains(name)) {
      throw_user_error("input '{}' is given both a shape and a constant value", name);
    }
    KILN_CHECK(!data.empty(), "constant input '{}' has no data", name);
    const int elem_type = input->type().tensor_type().elem_type();
    if (dtype_from_onnx(elem_type) != data.dtype()) {
      throw_user_error("{} does not match the model's input type {}", what,
                       onnx_type_name(elem_type));
    }
    check_user_dims(*input, data.shape().dims(), what);

    ::onnx::TensorProto& initializer = *graph.add_initializer();
    initializer.set_name(name);
    initializer.set_data_type(onnx_type_of(data.dtype()));
    for (std::int64_t d : data.shape().dims()) initializer.add_dims(d);
    initializer.set_raw_data(data.raw(), data.size_bytes());
  }
  for (const auto& [name, data] : options.constant_inputs) initializer_names.insert(name);
}

std::pair<std::string, std::vector<std::int64_t>> parse_shape_argument(std::string_view text) {
  constexpr std::string_view kExpected = "expected NAME:D0,D1,..., e.g. image:1,3,224,224";
  // Input names may themselves contain ':' (TensorFlow's "input:0"), so split at the last one.
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    throw_user_error("bad --shape '{}': {}", text, kExpected);
  }
  std::string name(text.substr(0, colon));
  const std::string_view dims_text = text.substr(colon + 1);
  if (dims_text.empty()) throw_user_error("bad --shape '{}': no dims given; {}", text, kExpected);

  std::vector<std::int64_t> dims;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = dims_text.find(',', start);
    std::string_view item = dims_text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || value <= 0) {
      throw_user_error("bad --shape '{}': '{}' is not a positive integer; {}", text, item,
                       kExpected);
    }
    dims.push_back(value);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return {std::move(name), std::move(dims)};
}

}  // namespace kiln::onnx
