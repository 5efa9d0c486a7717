#include "kiln/kernels/registry.h"

#include "kiln/kernels/cpu/cpu_kernels.h"
#include "kiln/kernels/op_definitions.h"

namespace kiln::kernels {

KernelChoice create_kernel(const ir::Node& node, const KernelOptions& options) {
  KernelChoice choice;
  for (const cpu::NamedFactory& candidate : cpu::cpu_kernel_factories(node.op())) {
    std::string why_not;
    choice.kernel = candidate.create(node, options, why_not);
    if (choice.kernel) return choice;
    choice.declined.push_back(fmt::format("{}: {}", candidate.name, why_not));
  }
  std::string why_not;
  choice.kernel = create_reference_kernel(node, options, why_not);
  if (!choice.kernel) {
    throw_user_error("{}: no kernel can run it: {}", node.describe(), why_not);
  }
  return choice;
}

}  // namespace kiln::kernels
