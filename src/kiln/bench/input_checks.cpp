#include "kiln/bench/input_checks.h"

#include "kiln/core/error.h"

namespace kiln::bench {

namespace fs = std::filesystem;

std::string describe_file_type(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec && status.type() != fs::file_type::not_found) return "unreadable (" + ec.message() + ")";
  switch (status.type()) {
    case fs::file_type::regular:
      return "a regular file";
    case fs::file_type::directory:
      return "a directory";
    case fs::file_type::fifo:
      return "a FIFO";
    case fs::file_type::character:
      return "a character device";
    case fs::file_type::block:
      return "a block device";
    case fs::file_type::socket:
      return "a socket";
    case fs::file_type::not_found:
      return fs::is_symlink(fs::symlink_status(path, ec)) ? "a symbolic link to nothing"
                                                          : "nothing (it does not exist)";
    default:
      return "not a regular file";
  }
}

void require_regular_file(const fs::path& path, std::string_view role) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return;
  const std::string type = describe_file_type(path);
  if (type.starts_with("nothing")) throw_user_error("{} '{}' does not exist", role, path.string());
  throw_user_error("{} '{}' is {}, not a regular file", role, path.string(), type);
}

void require_model_outputs(std::size_t outputs, const fs::path& model) {
  if (outputs == 0) {
    throw_user_error("model '{}' has no graph outputs: it would compute nothing", model.string());
  }
}

}  // namespace kiln::bench
