#pragma once

// Private to the tensor (data movement / shape) op family: the parts of define_tensor_ops and
// the helpers they share for reading constant shape-like inputs and attributes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/kernels/op_definitions.h"

namespace kiln::kernels::reference {

/// Identity Flatten Reshape Squeeze Unsqueeze (tensor_reshape.cpp)
void define_reshape_ops(OpDefinitionTable& table);
/// ConstantOfShape Range Shape Size (tensor_generate.cpp)
void define_generate_ops(OpDefinitionTable& table);
/// Concat Split (tensor_concat_split.cpp)
void define_concat_split_ops(OpDefinitionTable& table);
/// DepthToSpace SpaceToDepth Transpose (transpose.cpp)
void define_transpose_ops(OpDefinitionTable& table);
/// Slice (slice.cpp)
void define_slice_ops(OpDefinitionTable& table);
/// Pad (pad.cpp)
void define_pad_ops(OpDefinitionTable& table);
/// Gather (gather.cpp)
void define_gather_ops(OpDefinitionTable& table);
/// Expand Tile (tensor_expand_tile.cpp)
void define_expand_tile_ops(OpDefinitionTable& table);

/// The values of constant input `index`, which must be an int64 or int32 tensor of rank 0 or 1
/// (shape-like inputs: Reshape's shape, Slice's starts, ...). A user error naming the node when
/// it is absent, not constant, not an integer tensor or of higher rank.
std::vector<std::int64_t> constant_ints(const ir::Node& node, std::size_t index,
                                        std::string_view what);

/// As constant_ints, but nullopt when the optional input is absent.
std::optional<std::vector<std::int64_t>> optional_constant_ints(const ir::Node& node,
                                                                std::size_t index,
                                                                std::string_view what);

/// `axis` normalised against `rank` (negative counts from the end); a user error naming the
/// node and `what` ("attribute axis", "axes[1]") when out of range.
std::int64_t node_axis(const ir::Node& node, std::int64_t axis, std::int64_t rank,
                       std::string_view what);

/// Normalised, distinct axes; a user error naming the node when one is out of range or repeated.
std::vector<std::int64_t> node_axes(const ir::Node& node, const std::vector<std::int64_t>& axes,
                                    std::int64_t rank, std::string_view what);

/// Inputs first..last must share one dtype; a user error naming the node otherwise.
void require_same_dtype(const ir::Node& node, std::size_t first, std::size_t last);

/// A user error unless the node has exactly `count` outputs.
void require_output_count(const ir::Node& node, std::size_t count);

}  // namespace kiln::kernels::reference
