#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kiln/compiler/pipeline.h"
#include "kiln/core/tensor.h"
#include "kiln/ir/graph.h"
#include "kiln/onnx/import.h"

namespace kiln {

struct SessionOptions {
  onnx::ImportOptions import;  ///< input shapes, default batch
  compiler::CompileOptions compile;
  int threads = 0;       ///< 0: as many as the machine has
  bool profile = false;  ///< time every node on every run
};

/// Name, dtype and shape of a model input or output.
struct TensorSignature {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
};

/// One step of a compiled session, for profiles and `--explain`.
struct StepInfo {
  std::string node_name;
  std::string op;
  std::string implementation;         ///< "onednn:jit:avx2", "reference", "alias"
  std::vector<std::string> declined;  ///< why better kernels declined
  double total_ms = 0;                ///< accumulated time when profiling
  std::int64_t calls = 0;
};

/// A model ready to run: compiled graph, one kernel per node created once, activations in one
/// planned arena. run() allocates no activation memory. A Session is not thread-safe: use one
/// per thread.
class Session {
 public:
  /// Imports, compiles and prepares an ONNX model.
  static Session from_onnx(const std::filesystem::path& path, const SessionOptions& options = {});
  /// Compiles and prepares an already imported graph (inputs must have types).
  explicit Session(ir::Graph graph, const SessionOptions& options = {},
                   const std::map<std::string, Shape, std::less<>>* reference_shapes = nullptr);

  /// Another session of the same compiled model for a concurrent stream: it shares this one's
  /// graph, its weights and the kernels' prepared (reordered) weights, and has its own kernels,
  /// activation arena and scratch space, so the two may run at the same time on different
  /// threads. `threads` 0 keeps this session's thread count.
  Session share_weights(int threads = 0) const;

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  const std::vector<TensorSignature>& inputs() const;
  const std::vector<TensorSignature>& outputs() const;

  /// Runs on caller-owned tensors: `inputs` and `outputs` in signature order with exactly the
  /// signature's dtype and shape (a user error names the first mismatch). Allocates nothing.
  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs);
  /// Convenience: allocates and returns the outputs.
  std::vector<Tensor> run(std::span<const Tensor> inputs);

  const ir::Graph& graph() const;
  const std::vector<StepInfo>& steps() const;
  /// What the compiler did: every pass run and its remarks (why a rewrite did not fire).
  const std::vector<compiler::PassRun>& pass_runs() const;
  const std::vector<std::string>& compile_remarks() const;
  /// Bytes of the activation arena and of the constants (weights).
  std::size_t arena_bytes() const;
  std::size_t constant_bytes() const;
  /// Bytes of the weights kernels keep in another layout (shared with share_weights() sessions).
  std::size_t prepared_constant_bytes() const;
  /// Bytes of the temporaries the kernels share (oneDNN scratchpads, reordered activations).
  std::size_t scratch_bytes() const;
  int threads() const;

 private:
  struct State;
  explicit Session(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace kiln
