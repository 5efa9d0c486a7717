#include "kiln/core/npy.h"

#include <charconv>
#include <cstring>
#include <vector>

#include "kiln/core/checked_arithmetic.h"
#include "kiln/core/file_io.h"

namespace kiln {

namespace {

DType dtype_from_descr(const std::string& descr, const std::string& name) {
  // '<' little-endian, '|' not applicable, '=' native (x86-64 is little-endian).
  if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '|' && descr[0] != '=')) {
    throw_user_error("'{}': unsupported .npy dtype '{}' (big-endian or unknown)", name, descr);
  }
  const std::string code = descr.substr(1);
  if (code == "f4") return DType::kFloat32;
  if (code == "f2") return DType::kFloat16;
  if (code == "f8") return DType::kFloat64;
  if (code == "i8") return DType::kInt64;
  if (code == "i4") return DType::kInt32;
  if (code == "i1") return DType::kInt8;
  if (code == "u1") return DType::kUInt8;
  if (code == "b1") return DType::kBool;
  throw_user_error("'{}': unsupported .npy dtype '{}'", name, descr);
}

const char* descr_of(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "<f4";
    case DType::kFloat16:
      return "<f2";
    case DType::kFloat64:
      return "<f8";
    case DType::kInt64:
      return "<i8";
    case DType::kInt32:
      return "<i4";
    case DType::kInt8:
      return "|i1";
    case DType::kUInt8:
      return "|u1";
    case DType::kBool:
      return "|b1";
    case DType::kUndefined:
      break;
  }
  throw_internal_error("cannot write an empty tensor as .npy");
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\n") - first + 1);
}

/// The text of `key`'s value in the header dict, up to the next top-level comma or the closing
/// brace: "'<f4'", "False", "(1, 3)". A hand parser rather than std::regex, whose recursion
/// overflows the stack on long headers.
std::string_view header_value(std::string_view header, std::string_view key,
                              const std::string& name) {
  const std::string quoted = fmt::format("'{}'", key);
  const auto key_at = header.find(quoted);
  if (key_at == std::string_view::npos) {
    throw_user_error("'{}': .npy header has no {}", name, key);
  }
  std::string_view rest = header.substr(key_at + quoted.size());
  const auto colon = rest.find_first_not_of(" \t");
  if (colon == std::string_view::npos || rest[colon] != ':') {
    throw_user_error("'{}': .npy header has no value for {}", name, key);
  }
  rest = rest.substr(colon + 1);
  bool in_quotes = false;
  int depth = 0;
  std::size_t end = 0;
  for (; end < rest.size(); ++end) {
    const char c = rest[end];
    if (c == '\'') in_quotes = !in_quotes;
    if (in_quotes) continue;
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
    if (depth < 0) break;
  }
  if (in_quotes || depth != 0) {
    throw_user_error("'{}': .npy header's {} is not closed", name, key);
  }
  return trim(rest.substr(0, end));
}

/// "(1, 3, 224, 224)", "(3,)" or "()": non-negative decimal integers only, so that "(-1, 3)" and
/// "(1.0, 2)" are errors rather than some other shape.
std::vector<std::int64_t> parse_shape(std::string_view text, const std::string& name) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    throw_user_error("'{}': .npy shape {} is not a tuple", name, text);
  }
  std::string_view items = trim(text.substr(1, text.size() - 2));
  std::vector<std::int64_t> dims;
  while (!items.empty()) {
    const auto comma = items.find(',');
    const std::string_view item = trim(items.substr(0, comma));
    std::int64_t dim = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), dim);
    if (item.empty() || item.front() == '-' || error != std::errc() ||
        end != item.data() + item.size()) {
      throw_user_error("'{}': .npy shape {} has '{}', not a non-negative 64-bit integer", name,
                       text, item);
    }
    dims.push_back(dim);
    if (comma == std::string_view::npos) break;
    items = trim(items.substr(comma + 1));
  }
  if (dims.size() == 1 && text.find(',') == std::string_view::npos) {
    throw_user_error("'{}': .npy shape {} is not a tuple (a 1-d shape is written (n,))", name,
                     text);
  }
  return dims;
}

}  // namespace

Tensor parse_npy(std::string_view bytes, const std::string& name) {
  static constexpr char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) {
    throw_user_error("'{}' is not a .npy file (bad magic)", name);
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0;
  std::size_t header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw_user_error("'{}': truncated .npy header", name);
    for (int i = 3; i >= 0; --i)
      header_len = (header_len << 8) | static_cast<unsigned char>(bytes[8 + i]);
    header_start = 12;
  } else {
    throw_user_error("'{}': unsupported .npy version {}", name, major);
  }
  if (header_start + header_len > bytes.size()) {
    throw_user_error("'{}': truncated .npy header", name);
  }
  const std::string_view header = bytes.substr(header_start, header_len);
  const std::string_view descr = header_value(header, "descr", name);
  if (descr.size() < 2 || descr.front() != '\'' || descr.back() != '\'') {
    throw_user_error("'{}': .npy header's descr {} is not a quoted string", name, descr);
  }
  const DType dtype = dtype_from_descr(std::string(descr.substr(1, descr.size() - 2)), name);
  const std::string_view fortran_order = header_value(header, "fortran_order", name);
  if (fortran_order == "True") {
    throw_user_error(
        "'{}': Fortran-ordered .npy arrays are not supported; save with "
        "np.ascontiguousarray",
        name);
  }
  if (fortran_order != "False") {
    throw_user_error("'{}': .npy header's fortran_order is '{}', not True or False", name,
                     fortran_order);
  }
  const std::vector<std::int64_t> dims = parse_shape(header_value(header, "shape", name), name);
  const std::size_t data_bytes = checked_tensor_bytes(dims, dtype, fmt::format("'{}'", name));
  const std::size_t data_start = header_start + header_len;
  if (bytes.size() - data_start != data_bytes) {
    throw_user_error("'{}': .npy data is {} bytes, expected {} for {}[{}]", name,
                     bytes.size() - data_start, data_bytes, dtype_name(dtype),
                     fmt::join(dims, ","));
  }
  Tensor tensor(dtype, Shape(dims));
  if (tensor.size_bytes() != 0)
    std::memcpy(tensor.raw(), bytes.data() + data_start, tensor.size_bytes());
  return tensor;
}

Tensor read_npy(const std::filesystem::path& path) {
  return parse_npy(read_file(path), path.string());
}

std::string format_npy(const Tensor& tensor) {
  std::string shape;
  for (std::int64_t d : tensor.shape().dims()) shape += fmt::format("{},", d);
  if (tensor.shape().rank() > 1) shape.pop_back();  // (3,) keeps its comma, (2,3) does not
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}",
                                   descr_of(tensor.dtype()), shape);
  // Pad so that magic(6)+version(2)+len(2)+header ends on a 64-byte boundary, newline last.
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(static_cast<const char*>(tensor.raw()), tensor.size_bytes());
  return out;
}

void write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  write_file_atomically(path, format_npy(tensor));
}

}  // namespace kiln
