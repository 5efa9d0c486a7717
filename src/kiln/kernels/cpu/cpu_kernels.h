#pragma once

#include <span>
#include <string_view>

#include "kiln/kernels/kernel.h"

namespace kiln::kernels::cpu {

struct NamedFactory {
  std::string_view name;  ///< e.g. "onednn"
  KernelFactory create;
};

/// The optimized CPU kernels for `op`, best first; empty when only the reference kernel exists.
/// This is the one explicit list of optimized kernels (no self-registration).
std::span<const NamedFactory> cpu_kernel_factories(ir::OpKind op);

}  // namespace kiln::kernels::cpu
