#pragma once

// Reading and validating a ModelProto. Internal to the onnx layer.

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace kiln::onnx {

/// Kiln's supported range of the default ONNX domain's opset.
inline constexpr std::int64_t kMinOpset = 7;
inline constexpr std::int64_t kMaxOpset = 17;

/// Parses an ONNX file without holding a second copy of its bytes (models of hundreds of MB
/// are common). A user error says when the file is missing, empty, not ONNX or truncated.
::onnx::ModelProto parse_model_file(const std::filesystem::path& path);

/// Parses a ModelProto from bytes in memory, with the same checks as parse_model_file.
::onnx::ModelProto parse_model_bytes(std::string_view bytes);

/// Names every unnamed node "<OpType>_<index>" (with a suffix when that name is taken), so
/// every message can name the node.
void name_unnamed_nodes(::onnx::GraphProto& graph);

/// The opset of the default domain ("" or "ai.onnx", which it renames ""); a user error when it
/// is missing or outside [kMinOpset, kMaxOpset], or when a node uses another domain.
std::int64_t check_opsets(::onnx::ModelProto& model);

/// Runs ONNX's model checker, resolving external-data locations against `model_dir`; its
/// complaint becomes a one-line user error.
void run_onnx_checker(const ::onnx::ModelProto& model, const std::filesystem::path& model_dir);

}  // namespace kiln::onnx
