#include "kiln/kernels/op_definitions.h"

#include <fmt/format.h>

#include "kiln/core/checked_arithmetic.h"
#include "kiln/kernels/post_op_chain.h"
#include "kiln/kernels/reference/families.h"

namespace kiln::kernels {

namespace {

OpDefinitionTable build_table() {
  OpDefinitionTable table{};
  reference::define_elementwise_ops(table);
  reference::define_reduction_ops(table);
  reference::define_tensor_ops(table);
  reference::define_resize_ops(table);
  reference::define_convolution_ops(table);
  reference::define_pooling_ops(table);
  reference::define_normalization_ops(table);
  reference::define_matmul_ops(table);
  return table;
}

}  // namespace

const OpDefinition& op_definition(ir::OpKind op) {
  static const OpDefinitionTable table = build_table();
  const OpDefinition& definition = table[static_cast<std::size_t>(op)];
  KILN_CHECK(definition.infer != nullptr && definition.reference != nullptr,
             "op {} has no definition", ir::op_name(op));
  return definition;
}

std::unique_ptr<Kernel> create_reference_kernel(const ir::Node& node, const KernelOptions& options,
                                                std::string& why_not) {
  return with_post_op_chain(node, op_definition(node.op()).reference(node, options, why_not),
                            options);
}

void infer_node_types(ir::Node& node) {
  std::vector<ValueType> types = op_definition(node.op()).infer(node);
  KILN_CHECK(types.size() == node.output_count(), "{}: inference gave {} types for {} outputs",
             node.describe(), types.size(), node.output_count());
  for (std::size_t i = 0; i < types.size(); ++i) {
    // One check for every op: a shape from a constant (Expand, Tile, Reshape, ConstantOfShape)
    // or from arithmetic on the inputs' shapes can be any size; over the limit it is an error
    // naming the node here, before a kernel or the memory plan sees it.
    checked_tensor_bytes(types[i].shape.dims(), types[i].dtype,
                         fmt::format("{} output {}", node.describe(), i));
    node.output(i)->set_type(types[i].dtype, std::move(types[i].shape));
  }
}

}  // namespace kiln::kernels
