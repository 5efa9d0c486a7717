#include "kiln/core/npy.h"

#include <cstring>
#include <regex>

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
  const std::string header(bytes.substr(header_start, header_len));
  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']+)')"))) {
    throw_user_error("'{}': .npy header has no descr", name);
  }
  const DType dtype = dtype_from_descr(m[1].str(), name);
  if (std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*True)"))) {
    throw_user_error(
        "'{}': Fortran-ordered .npy arrays are not supported; save with "
        "np.ascontiguousarray",
        name);
  }
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))"))) {
    throw_user_error("'{}': .npy header has no shape", name);
  }
  std::vector<std::int64_t> dims;
  const std::string shape_text = m[1].str();
  std::regex number(R"(\d+)");
  for (auto it = std::sregex_iterator(shape_text.begin(), shape_text.end(), number);
       it != std::sregex_iterator(); ++it) {
    dims.push_back(std::stoll(it->str()));
  }
  Tensor tensor(dtype, Shape(std::move(dims)));
  const std::size_t data_start = header_start + header_len;
  if (bytes.size() - data_start != tensor.size_bytes()) {
    throw_user_error("'{}': .npy data is {} bytes, expected {} for {}", name,
                     bytes.size() - data_start, tensor.size_bytes(), tensor.description());
  }
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
