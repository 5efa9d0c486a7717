#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "kiln/core/tensor.h"

namespace kiln {

/// Parses a NumPy .npy file (format 1.0-3.0, little-endian or byte-order-free dtypes, C order).
/// `name` is used in error messages (usually the file path).
Tensor parse_npy(std::string_view bytes, const std::string& name);
Tensor read_npy(const std::filesystem::path& path);

/// Serialises a tensor as .npy version 1.0.
std::string format_npy(const Tensor& tensor);
/// Writes atomically (temporary file + rename).
void write_npy(const std::filesystem::path& path, const Tensor& tensor);

}  // namespace kiln
