#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/ir/graph.h"

namespace kiln::compiler {

/// One run of one pass, for --explain.
struct PassRun {
  std::string pass;
  bool changed = false;
  std::size_t nodes_after = 0;
};

/// What passes share while the pipeline runs.
struct PassContext {
  /// Static shapes another tool (ONNX shape inference) found, by value name: cross-checked.
  const std::map<std::string, Shape, std::less<>>* reference_shapes = nullptr;
  /// Verify the graph after every pass (always on in debug builds).
  bool verify_each_pass = false;
  /// Called after each pass with its name and whether it changed the graph (--dump-passes).
  std::function<void(std::string_view pass, bool changed, const ir::Graph&)> after_pass;
  /// Why a pass did not fire where it might have, one line each (shown by --explain).
  std::vector<std::string> remarks;
  /// Every pass run, in order, with the node count after it.
  std::vector<PassRun> runs;
};

/// One graph transformation. Cheap checks first, mutate last.
class Pass {
 public:
  virtual ~Pass() = default;
  virtual std::string_view name() const = 0;
  /// Transforms the graph; returns whether anything changed.
  virtual bool run(ir::Graph& graph, PassContext& context) = 0;
};

}  // namespace kiln::compiler
