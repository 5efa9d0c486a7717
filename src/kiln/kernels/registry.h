#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kiln/kernels/kernel.h"

namespace kiln::kernels {

/// The kernel chosen for a node, with the reasons each better candidate declined.
struct KernelChoice {
  std::unique_ptr<Kernel> kernel;
  std::vector<std::string> declined;  ///< "onednn: <reason>", in the order tried
};

/// Tries, in order, the optimized CPU kernels for the node's op and then its reference kernel.
KernelChoice create_kernel(const ir::Node& node, const KernelOptions& options);

}  // namespace kiln::kernels
