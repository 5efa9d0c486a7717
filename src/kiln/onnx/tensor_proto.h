#pragma once

// Conversions from ONNX protobuf messages to kiln values. Internal to the onnx layer: protobuf
// and libonnx types must not appear in any header outside src/kiln/onnx/.

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "kiln/core/tensor.h"
#include "kiln/ir/attribute.h"

namespace kiln::onnx {

/// The kiln dtype of an ONNX TensorProto::DataType; nullopt when kiln has no such dtype.
std::optional<DType> dtype_from_onnx(int onnx_type);

/// The ONNX name of a TensorProto::DataType ("FLOAT16", "STRING", ...), for messages.
std::string onnx_type_name(int onnx_type);

/// Where tensors stored outside the model file are looked for: the model's directory.
/// External files must lie inside it; a location that escapes it is refused.
struct ExternalDataDir {
  std::filesystem::path base_dir;
};

/// Checks, before anything is read, that every external-data location of the graph's
/// initializers and node attributes stays inside `external.base_dir` and names an existing file.
void check_external_data_files(const ::onnx::GraphProto& graph, const ExternalDataDir& external);

/// Converts a TensorProto (raw_data, the typed fields, or external data) into a new owned
/// tensor. `what` names the tensor in messages ("initializer 'conv1.weight'").
Tensor tensor_from_proto(const ::onnx::TensorProto& proto, const ExternalDataDir& external,
                         std::string_view what);

/// Converts an attribute; graphs, sparse tensors and lists of tensors are refused.
ir::Attribute attribute_from_proto(const ::onnx::AttributeProto& proto,
                                   const ExternalDataDir& external);

}  // namespace kiln::onnx
