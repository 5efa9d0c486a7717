#include "kiln/onnx/model_proto.h"

#include <fcntl.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <onnx/checker.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_set>

#include "kiln/core/error.h"

// libonnx 1.12 exports this overload but does not declare it. The declared
// check_model(const ModelProto&) resolves external-data locations against the process's working
// directory instead of the model's, so it rejects every model with external data that is
// imported from elsewhere; this overload takes the model directory in the context.
namespace onnx::checker {
void check_model(const ModelProto& model, CheckerContext& ctx);
}  // namespace onnx::checker

namespace kiln::onnx {

namespace {

// protobuf's own ceiling for one message; the default limit of old protobuf releases (64 MB)
// would refuse large models, so raise it explicitly.
constexpr int kMaxModelBytes = std::numeric_limits<int>::max();

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;
using google::protobuf::io::ZeroCopyInputStream;

struct TopLevelField {
  int number;
  WireFormatLite::WireType wire_type;
  std::string_view name;
};

// ModelProto's fields (onnx.proto), to tell a damaged ONNX file from something else.
constexpr TopLevelField kModelFields[] = {
    {1, WireFormatLite::WIRETYPE_VARINT, "ir_version"},
    {2, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, "producer_name"},
    {3, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, "producer_version"},
    {4, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, "domain"},
    {5, WireFormatLite::WIRETYPE_VARINT, "model_version"},
    {6, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, "doc_string"},
    {7, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, "graph"},
    {8, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, "opset_import"},
    {14, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, "metadata_props"},
    {20, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, "training_info"},
    {25, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, "functions"},
};

// Called when protobuf refused the data: walks the top-level fields to say why, in words a
// user can act on. A field whose length runs past the end means the file was cut short; a
// field ModelProto does not have means the data is something else.
[[noreturn]] void throw_unparseable(ZeroCopyInputStream& stream, std::uint64_t size_bytes) {
  CodedInputStream coded(&stream);
  coded.SetTotalBytesLimit(kMaxModelBytes);
  auto at_end = [&] { return static_cast<std::uint64_t>(coded.CurrentPosition()) >= size_bytes; };
  for (int index = 0;; ++index) {
    const std::uint32_t tag = coded.ReadTag();
    if (tag == 0) break;
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    const auto wire_type = WireFormatLite::GetTagWireType(tag);
    const TopLevelField* field = nullptr;
    for (const TopLevelField& f : kModelFields) {
      if (f.number == number && f.wire_type == wire_type) field = &f;
    }
    if (field == nullptr) {
      if (index == 0) throw_user_error("not an ONNX model: the data is not a protobuf ModelProto");
      throw_user_error(
          "the file is corrupt or not an ONNX model: it has a top-level field {} that ONNX models "
          "do not have",
          number);
    }
    if (wire_type == WireFormatLite::WIRETYPE_VARINT) {
      std::uint64_t ignored = 0;
      if (!coded.ReadVarint64(&ignored)) {
        if (at_end())
          throw_user_error("the file is truncated: it ends inside the model's {}", field->name);
        throw_user_error("the file is corrupt: the model's {} cannot be read", field->name);
      }
      continue;
    }
    std::uint32_t length = 0;
    if (!coded.ReadVarint32(&length)) {
      if (at_end())
        throw_user_error("the file is truncated: it ends inside the model's {}", field->name);
      throw_user_error("the file is corrupt: the model's {} cannot be read", field->name);
    }
    const std::uint64_t remaining =
        size_bytes - static_cast<std::uint64_t>(coded.CurrentPosition());
    if (length > remaining) {
      throw_user_error(
          "the file is truncated: the model's {} needs {} bytes, but only {} remain in the file",
          field->name, length, remaining);
    }
    coded.Skip(static_cast<int>(length));
  }
  throw_user_error("the file is corrupt: its ONNX protobuf data cannot be parsed");
}

void check_parsed(const ::onnx::ModelProto& model) {
  if (model.ir_version() <= 0) {
    throw_user_error("not an ONNX model: the data has no ir_version");
  }
  if (!model.has_graph()) throw_user_error("the file is truncated or corrupt: it has no graph");
}

bool is_default_domain(const std::string& domain) {
  return domain.empty() || domain == "ai.onnx";
}

// Folds the checker's multi-line message ("...\n\n==> Context: Bad node spec ...") into one line.
std::string one_line(std::string_view text) {
  std::string out;
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      pending_space = !out.empty();
      continue;
    }
    if (text.substr(i, 4) == "==> ") {
      i += 3;
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

}  // namespace

::onnx::ModelProto parse_model_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw_user_error("'{}' is a directory, expected an ONNX file", path.string());
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_user_error("cannot open '{}': {}", path.string(), std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) throw_user_error("cannot read '{}': {}", path.string(), ec.message());
  if (size == 0) throw_user_error("not an ONNX model: the file is empty");
  if (size > static_cast<std::uintmax_t>(kMaxModelBytes)) {
    throw_user_error(
        "the file is {} bytes; protobuf cannot parse ONNX files over 2 GB (store the weights as "
        "external data)",
        size);
  }

  // Parsing straight from the file never holds the whole file in memory next to the model.
  ::onnx::ModelProto model;
  bool parsed = false;
  {
    google::protobuf::io::FileInputStream file_stream(fd);
    CodedInputStream coded(&file_stream);
    coded.SetTotalBytesLimit(kMaxModelBytes);
    parsed = model.ParseFromCodedStream(&coded);
    if (file_stream.GetErrno() != 0) {
      throw_user_error("cannot read '{}': {}", path.string(),
                       std::strerror(file_stream.GetErrno()));
    }
  }
  if (!parsed) {
    model.Clear();
    if (::lseek(fd, 0, SEEK_SET) != 0) {
      throw_user_error("cannot read '{}': {}", path.string(), std::strerror(errno));
    }
    google::protobuf::io::FileInputStream rescan(fd);
    throw_unparseable(rescan, size);
  }
  check_parsed(model);
  return model;
}

::onnx::ModelProto parse_model_bytes(std::string_view bytes) {
  if (bytes.empty()) throw_user_error("not an ONNX model: the data is empty");
  if (bytes.size() > static_cast<std::size_t>(kMaxModelBytes)) {
    throw_user_error(
        "the model is {} bytes; protobuf cannot parse ONNX models over 2 GB (store the weights "
        "as external data)",
        bytes.size());
  }
  ::onnx::ModelProto model;
  CodedInputStream coded(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                         static_cast<int>(bytes.size()));
  coded.SetTotalBytesLimit(kMaxModelBytes);
  if (!model.ParseFromCodedStream(&coded)) {
    google::protobuf::io::ArrayInputStream rescan(bytes.data(), static_cast<int>(bytes.size()));
    throw_unparseable(rescan, bytes.size());
  }
  check_parsed(model);
  return model;
}

std::int64_t check_opsets(::onnx::ModelProto& model) {
  std::int64_t opset = 0;
  for (const auto& import : model.opset_import()) {
    if (is_default_domain(import.domain())) opset = import.version();
  }
  // The spec lets the default domain be spelled "ai.onnx", but libonnx 1.12's schema registry
  // (and so its checker and shape inference) knows only "": spell it that way.
  auto& imports = *model.mutable_opset_import();
  for (int i = imports.size() - 1; i >= 0; --i) {
    if (imports.Get(i).domain() == "ai.onnx") imports.DeleteSubrange(i, 1);
  }
  if (opset != 0 && std::none_of(imports.begin(), imports.end(),
                                 [](const auto& import) { return import.domain().empty(); })) {
    auto* import = imports.Add();
    import->set_domain("");
    import->set_version(opset);
  }
  for (auto& node : *model.mutable_graph()->mutable_node()) {
    if (node.domain() == "ai.onnx") node.clear_domain();
  }
  if (opset == 0) {
    throw_user_error(
        "the model imports no opset of the default ONNX domain (is the file truncated?)");
  }
  if (opset < kMinOpset || opset > kMaxOpset) {
    throw_user_error(
        "opset {} of the default ONNX domain is not supported; kiln supports opsets {} to {} "
        "(export the model with an opset in that range)",
        opset, kMinOpset, kMaxOpset);
  }
  for (const auto& node : model.graph().node()) {
    if (!is_default_domain(node.domain())) {
      std::int64_t domain_version = 0;
      for (const auto& import : model.opset_import()) {
        if (import.domain() == node.domain()) domain_version = import.version();
      }
      throw_user_error(
          "node '{}' ({}) is in domain '{}' (version {}); kiln supports only the default ONNX "
          "domain",
          node.name(), node.op_type(), node.domain(), domain_version);
    }
  }
  return opset;
}

void name_unnamed_nodes(::onnx::GraphProto& graph) {
  std::unordered_set<std::string> taken;
  for (const auto& node : graph.node()) {
    if (!node.name().empty()) taken.insert(node.name());
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    ::onnx::NodeProto& node = *graph.mutable_node(i);
    if (!node.name().empty()) continue;
    const std::string base = fmt::format("{}_{}", node.op_type(), i);
    std::string name = base;
    for (int suffix = 1; taken.contains(name); ++suffix) name = fmt::format("{}_{}", base, suffix);
    taken.insert(name);
    node.set_name(name);
  }
}

void run_onnx_checker(const ::onnx::ModelProto& model, const std::filesystem::path& model_dir) {
  try {
    ::onnx::checker::CheckerContext context;
    context.set_model_dir(model_dir.string());
    ::onnx::checker::check_model(model, context);
  } catch (const std::exception& e) {
    throw_user_error("the model fails the ONNX checker: {}", one_line(e.what()));
  }
}

}  // namespace kiln::onnx
