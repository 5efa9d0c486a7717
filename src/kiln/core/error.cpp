#include "kiln/core/error.h"

namespace kiln {

Error::Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {
  rebuild();
}

Error& Error::add_context(std::string frame) {
  context_.push_back(std::move(frame));
  rebuild();
  return *this;
}

void Error::rebuild() {
  full_.clear();
  for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
    full_ += *it;
    full_ += ": ";
  }
  full_ += message_;
}

}  // namespace kiln
