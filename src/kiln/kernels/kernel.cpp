#include "kiln/kernels/kernel.h"

namespace kiln::kernels {

std::byte* ScratchSpace::base() {
  if (!buffer_ || allocated_ < reserved_) {
    buffer_ = allocate_aligned(std::max<std::size_t>(reserved_, 1));
    allocated_ = reserved_;
  }
  return static_cast<std::byte*>(buffer_.get());
}

std::shared_ptr<void> ConstantCache::get_or_prepare(
    const Tensor& source, std::string_view layout, std::size_t size_bytes,
    const std::function<std::shared_ptr<void>()>& prepare) {
  const std::lock_guard lock(mutex_);
  auto key = std::make_pair(source.raw(), std::string(layout));
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    it = entries_.emplace(std::move(key), Entry{source, prepare(), size_bytes}).first;
  }
  return it->second.prepared;
}

std::size_t ConstantCache::size_bytes() const {
  const std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const auto& [key, entry] : entries_) total += entry.size_bytes;
  return total;
}

const ir::Value& require_input(const ir::Node& node, std::size_t index, std::string_view what) {
  const ir::Value* value = node.input(index);
  if (value == nullptr) {
    throw_user_error("{}: required input {} ({}) is missing", node.describe(), index, what);
  }
  if (!value->has_type()) {
    throw_internal_error("{}: input {} ('{}') has no type yet", node.describe(), index,
                         value->name());
  }
  return *value;
}

const Tensor& require_constant_input(const ir::Node& node, std::size_t index,
                                     std::string_view what) {
  const ir::Value& value = require_input(node, index, what);
  if (!value.is_constant()) {
    throw_user_error(
        "{}: input {} ({}, '{}') must be a constant after folding; kiln compiles for static "
        "shapes and cannot compute it at run time",
        node.describe(), index, what, value.name());
  }
  return value.constant();
}

}  // namespace kiln::kernels
