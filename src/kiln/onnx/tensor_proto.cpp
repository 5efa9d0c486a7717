#include "kiln/onnx/tensor_proto.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <vector>

#include "kiln/core/error.h"

namespace kiln::onnx {

static_assert(std::endian::native == std::endian::little,
              "ONNX raw_data is little-endian; kiln copies it as is");

namespace {

using ::onnx::AttributeProto;
using ::onnx::TensorProto;

std::vector<std::int64_t> tensor_dims(const TensorProto& proto, std::string_view what) {
  std::vector<std::int64_t> dims(proto.dims().begin(), proto.dims().end());
  for (std::int64_t d : dims) {
    if (d < 0) {
      throw_user_error("{} has a negative dimension in its shape [{}]", what, fmt::join(dims, ","));
    }
  }
  return dims;
}

// Booleans are stored one byte each; anything non-zero is true. Normalising keeps kernels from
// seeing bytes other than 0 and 1 in a bool tensor.
void normalize_bools(Tensor& tensor) {
  if (tensor.dtype() != DType::kBool) return;
  auto* bytes = static_cast<std::uint8_t*>(tensor.raw());
  for (std::int64_t i = 0; i < tensor.numel(); ++i) bytes[i] = bytes[i] != 0 ? 1 : 0;
}

std::string external_entry(const TensorProto& proto, std::string_view key) {
  for (const auto& entry : proto.external_data()) {
    if (entry.key() == key) return entry.value();
  }
  return {};
}

std::uint64_t parse_external_number(const std::string& text, std::string_view key,
                                    std::string_view what) {
  std::uint64_t value = 0;
  if (text.empty()) throw_user_error("{}: external-data '{}' is empty", what, key);
  for (char c : text) {
    if (c < '0' || c > '9' || value > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) {
      throw_user_error("{}: external-data '{}' is '{}', expected a non-negative integer", what, key,
                       text);
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

// The file an external-data location names, refusing locations that leave the model's
// directory: a model file must not make kiln read arbitrary files of the machine.
std::filesystem::path external_file_path(const std::string& location,
                                         const ExternalDataDir& external, std::string_view what) {
  if (location.empty()) throw_user_error("{} is stored externally but has no 'location'", what);
  const std::filesystem::path relative(location);
  if (relative.is_absolute() || relative.has_root_name() || relative.has_root_directory()) {
    throw_user_error(
        "{}: external-data location '{}' is an absolute path; it must be relative to the model's "
        "directory",
        what, location);
  }
  const std::filesystem::path normal = relative.lexically_normal();
  if (normal.empty() || *normal.begin() == "..") {
    throw_user_error("{}: external-data location '{}' points outside the model's directory", what,
                     location);
  }
  return external.base_dir / normal;
}

std::filesystem::path existing_external_file(const TensorProto& proto,
                                             const ExternalDataDir& external,
                                             std::string_view what) {
  const std::filesystem::path file =
      external_file_path(external_entry(proto, "location"), external, what);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    throw_user_error("{} is stored in external-data file '{}', which does not exist", what,
                     file.string());
  }
  return file;
}

// Where an external tensor's bytes are, checked against the file before anything is allocated.
struct ExternalSlice {
  std::filesystem::path file;
  std::uint64_t offset = 0;
};

ExternalSlice locate_external_data(const TensorProto& proto, const ExternalDataDir& external,
                                   std::string_view what, std::uint64_t expected_bytes,
                                   const std::string& description) {
  ExternalSlice slice{existing_external_file(proto, external, what), 0};
  const std::string offset_text = external_entry(proto, "offset");
  const std::string length_text = external_entry(proto, "length");
  if (!offset_text.empty()) slice.offset = parse_external_number(offset_text, "offset", what);
  if (!length_text.empty()) {
    const std::uint64_t length = parse_external_number(length_text, "length", what);
    if (length != expected_bytes) {
      throw_user_error("{}: external-data length is {} bytes, but a {} tensor needs {}", what,
                       length, description, expected_bytes);
    }
  }
  std::error_code ec;
  const std::uintmax_t file_size = std::filesystem::file_size(slice.file, ec);
  if (ec) {
    throw_user_error("{}: cannot read its external-data file '{}': {}", what, slice.file.string(),
                     ec.message());
  }
  if (slice.offset > file_size || file_size - slice.offset < expected_bytes) {
    throw_user_error(
        "{}: external-data file '{}' is too short: the tensor needs bytes {} to {}, the file has "
        "{} bytes",
        what, slice.file.string(), slice.offset, slice.offset + expected_bytes, file_size);
  }
  return slice;
}

void read_external_data(const ExternalSlice& slice, std::string_view what, Tensor& tensor) {
  const std::uint64_t bytes = tensor.size_bytes();
  if (bytes == 0) return;
  std::ifstream in(slice.file, std::ios::binary);
  if (!in) {
    throw_user_error("{}: cannot open its external-data file '{}': {}", what, slice.file.string(),
                     std::strerror(errno));
  }
  in.seekg(static_cast<std::streamoff>(slice.offset));
  in.read(static_cast<char*>(tensor.raw()), static_cast<std::streamsize>(bytes));
  if (!in || static_cast<std::uint64_t>(in.gcount()) != bytes) {
    throw_user_error("{}: short read from external-data file '{}' (wanted {} bytes at offset {})",
                     what, slice.file.string(), bytes, slice.offset);
  }
}

// The tensor's size in bytes, refusing shapes whose size overflows (a corrupt or hostile file
// must not make kiln allocate absurd amounts).
std::uint64_t checked_size_bytes(const Shape& shape, DType dtype, std::string_view what) {
  std::uint64_t bytes = dtype_size(dtype);
  for (std::int64_t d : shape.dims()) {
    if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes) ||
        bytes > (std::uint64_t{1} << 48)) {
      throw_user_error("{} has shape {}, too large to be real", what, shape.to_string());
    }
  }
  return bytes;
}

// How many elements the typed field a dtype uses holds (onnx.proto says which field: int32_data
// holds one element per int32 for the small types, float16 as its bit pattern).
std::int64_t typed_field_size(const TensorProto& proto, DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return proto.float_data_size();
    case DType::kFloat64:
      return proto.double_data_size();
    case DType::kInt64:
      return proto.int64_data_size();
    case DType::kInt32:
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kBool:
    case DType::kFloat16:
      return proto.int32_data_size();
    case DType::kUndefined:
      break;
  }
  return 0;
}

std::string_view typed_field_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float_data";
    case DType::kFloat64:
      return "double_data";
    case DType::kInt64:
      return "int64_data";
    default:
      return "int32_data";
  }
}

void visit_tensor_attributes(const ::onnx::NodeProto& node,
                             const std::function<void(const TensorProto&, std::string_view)>& fn) {
  for (const auto& attribute : node.attribute()) {
    if (attribute.has_t()) fn(attribute.t(), fmt::format("attribute '{}'", attribute.name()));
  }
}

template <typename Out, typename Field>
void copy_typed_field(const Field& field, Tensor& tensor) {
  Out* out = static_cast<Out*>(tensor.raw());
  for (int i = 0; i < field.size(); ++i) out[i] = static_cast<Out>(field.Get(i));
}

void read_typed_fields(const TensorProto& proto, Tensor& tensor) {
  switch (tensor.dtype()) {
    case DType::kFloat32:
      copy_typed_field<float>(proto.float_data(), tensor);
      break;
    case DType::kFloat64:
      copy_typed_field<double>(proto.double_data(), tensor);
      break;
    case DType::kInt64:
      copy_typed_field<std::int64_t>(proto.int64_data(), tensor);
      break;
    case DType::kInt32:
      copy_typed_field<std::int32_t>(proto.int32_data(), tensor);
      break;
    case DType::kInt8:
      copy_typed_field<std::int8_t>(proto.int32_data(), tensor);
      break;
    case DType::kUInt8:
    case DType::kBool:
      copy_typed_field<std::uint8_t>(proto.int32_data(), tensor);
      break;
    case DType::kFloat16:
      copy_typed_field<std::uint16_t>(proto.int32_data(), tensor);
      break;
    case DType::kUndefined:
      throw_internal_error("typed fields of an undefined dtype");
  }
}

std::vector<std::int64_t> int_list(const AttributeProto& proto) {
  return {proto.ints().begin(), proto.ints().end()};
}

// Old exporters leave AttributeProto::type unset; the field that holds data tells the type.
AttributeProto::AttributeType attribute_type(const AttributeProto& proto) {
  if (proto.type() != AttributeProto::UNDEFINED) return proto.type();
  if (proto.has_f()) return AttributeProto::FLOAT;
  if (proto.has_i()) return AttributeProto::INT;
  if (proto.has_s()) return AttributeProto::STRING;
  if (proto.has_t()) return AttributeProto::TENSOR;
  if (proto.has_g()) return AttributeProto::GRAPH;
  if (proto.floats_size() > 0) return AttributeProto::FLOATS;
  if (proto.ints_size() > 0) return AttributeProto::INTS;
  if (proto.strings_size() > 0) return AttributeProto::STRINGS;
  return AttributeProto::UNDEFINED;
}

}  // namespace

void check_external_data_files(const ::onnx::GraphProto& graph, const ExternalDataDir& external) {
  auto check = [&](const TensorProto& proto, std::string_view what) {
    if (proto.data_location() == TensorProto::EXTERNAL) {
      existing_external_file(proto, external, what);
    }
  };
  for (const auto& initializer : graph.initializer()) {
    check(initializer, fmt::format("initializer '{}'", initializer.name()));
  }
  for (const auto& node : graph.node()) visit_tensor_attributes(node, check);
}

std::optional<DType> dtype_from_onnx(int onnx_type) {
  switch (onnx_type) {
    case TensorProto::FLOAT:
      return DType::kFloat32;
    case TensorProto::FLOAT16:
      return DType::kFloat16;
    case TensorProto::DOUBLE:
      return DType::kFloat64;
    case TensorProto::INT64:
      return DType::kInt64;
    case TensorProto::INT32:
      return DType::kInt32;
    case TensorProto::INT8:
      return DType::kInt8;
    case TensorProto::UINT8:
      return DType::kUInt8;
    case TensorProto::BOOL:
      return DType::kBool;
    default:
      return std::nullopt;
  }
}

std::string onnx_type_name(int onnx_type) {
  if (TensorProto::DataType_IsValid(onnx_type)) {
    return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(onnx_type));
  }
  return fmt::format("unknown type {}", onnx_type);
}

Tensor tensor_from_proto(const TensorProto& proto, const ExternalDataDir& external,
                         std::string_view what) {
  const std::optional<DType> dtype = dtype_from_onnx(proto.data_type());
  if (!dtype) {
    throw_user_error("{} has data type {}, which kiln does not support", what,
                     onnx_type_name(proto.data_type()));
  }
  if (proto.has_segment()) throw_user_error("{} is segmented, which kiln does not support", what);
  const Shape shape(tensor_dims(proto, what));
  const std::uint64_t size_bytes = checked_size_bytes(shape, *dtype, what);
  const std::string description = fmt::format("{}{}", dtype_name(*dtype), shape.to_string());

  // Every size is checked against the data present before the tensor is allocated.
  if (proto.data_location() == TensorProto::EXTERNAL) {
    const ExternalSlice slice =
        locate_external_data(proto, external, what, size_bytes, description);
    Tensor tensor(*dtype, shape);
    read_external_data(slice, what, tensor);
    normalize_bools(tensor);
    return tensor;
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != size_bytes) {
      throw_user_error("{} has {} bytes of raw_data, but a {} tensor needs {}", what,
                       proto.raw_data().size(), description, size_bytes);
    }
    Tensor tensor(*dtype, shape);
    if (size_bytes != 0) std::memcpy(tensor.raw(), proto.raw_data().data(), size_bytes);
    normalize_bools(tensor);
    return tensor;
  }
  const std::int64_t count = typed_field_size(proto, *dtype);
  if (count != shape.numel()) {
    throw_user_error("{} has {} values in {}, but its shape {} needs {}", what, count,
                     typed_field_name(*dtype), shape.to_string(), shape.numel());
  }
  Tensor tensor(*dtype, shape);
  read_typed_fields(proto, tensor);
  normalize_bools(tensor);
  return tensor;
}

ir::Attribute attribute_from_proto(const AttributeProto& proto, const ExternalDataDir& external) {
  switch (attribute_type(proto)) {
    case AttributeProto::FLOAT:
      return proto.f();
    case AttributeProto::INT:
      return static_cast<std::int64_t>(proto.i());
    case AttributeProto::STRING:
      return proto.s();
    case AttributeProto::FLOATS:
      return std::vector<float>(proto.floats().begin(), proto.floats().end());
    case AttributeProto::INTS:
      return int_list(proto);
    case AttributeProto::STRINGS:
      return std::vector<std::string>(proto.strings().begin(), proto.strings().end());
    case AttributeProto::TENSOR:
      return tensor_from_proto(proto.t(), external, fmt::format("attribute '{}'", proto.name()));
    case AttributeProto::GRAPH:
    case AttributeProto::GRAPHS:
      throw_user_error("attribute '{}' is a graph; kiln supports no control flow", proto.name());
    case AttributeProto::SPARSE_TENSOR:
    case AttributeProto::SPARSE_TENSORS:
      throw_user_error("attribute '{}' is a sparse tensor, which kiln does not support",
                       proto.name());
    case AttributeProto::TENSORS:
      throw_user_error("attribute '{}' is a list of tensors, which kiln does not support",
                       proto.name());
    case AttributeProto::TYPE_PROTO:
    case AttributeProto::TYPE_PROTOS:
      throw_user_error("attribute '{}' is a type, which kiln does not support", proto.name());
    case AttributeProto::UNDEFINED:
      // An INTS/FLOATS attribute with an empty list and no type: an empty int list is the
      // only reading that any op accepts.
      return std::vector<std::int64_t>{};
  }
  throw_user_error("attribute '{}' has unknown type {}", proto.name(),
                   static_cast<int>(proto.type()));
}

}  // namespace kiln::onnx
