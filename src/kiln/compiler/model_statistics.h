#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "kiln/ir/graph.h"

namespace kiln::compiler {

struct ModelStatistics {
  std::int64_t parameters = 0;  ///< elements of floating-point constants (weights, biases, BN)
  std::int64_t macs = 0;        ///< multiply-accumulates of Conv, ConvTranspose, MatMul, Gemm
  std::map<std::string, std::int64_t> op_histogram;  ///< node count per op
};

/// Counts parameters and ops of any graph, and MACs of the nodes whose types are known (all of
/// them after compilation).
ModelStatistics compute_statistics(const ir::Graph& graph);

/// Multiply-accumulates of one node (0 for ops that are not matrix/convolution work).
std::int64_t count_macs(const ir::Node& node);

}  // namespace kiln::compiler
