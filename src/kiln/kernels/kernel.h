#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/core/tensor.h"
#include "kiln/ir/graph.h"

namespace kiln::kernels {

/// The type of one node output, as shape inference computes it.
struct ValueType {
  DType dtype = DType::kUndefined;
  Shape shape;
};

/// Shape inference for one op: reads the node's attributes, its inputs' types and, where the op
/// needs them (Reshape's shape, Slice's starts, ...), its inputs' constant data. Returns one
/// ValueType per node output. Bad attributes or shapes throw a user Error naming the node.
using InferFn = std::vector<ValueType> (*)(const ir::Node& node);

/// A compiled operation. Created once per node when a session loads (that is where attributes
/// are parsed, primitives created and constant weights reordered), then run many times. One
/// kernel object is never run by two threads at once (it may keep scratch space and bound
/// handles); different kernels may run concurrently.
class Kernel {
 public:
  virtual ~Kernel() = default;
  /// Computes the outputs. Every tensor has exactly the dtype and shape inferred for the node's
  /// values; an absent optional input is an empty Tensor. Inputs that are constants in the graph
  /// arrive here too (a kernel may instead use what it prepared from them). Outputs never alias
  /// inputs. run() must not allocate large buffers: take scratch space at creation.
  virtual void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) = 0;
  /// Which implementation this is, for profiles and `--explain`: "reference", "onednn:jit:avx2".
  virtual std::string implementation() const = 0;
};

/// Working memory shared by the kernels of one session. A session runs its kernels one at a
/// time, so all of them can use the same bytes for their temporaries (oneDNN scratchpads,
/// reordered activations): each kernel reserves its size at creation and asks for the base
/// address when it runs. Memory then grows with the largest kernel, not with the kernel count.
class ScratchSpace {
 public:
  /// Makes the space at least `size_bytes` large.
  void reserve(std::size_t size_bytes) { reserved_ = std::max(reserved_, size_bytes); }
  /// The base address; allocates (once, or again if a reservation grew since) — a session
  /// calls it after creating all kernels, so runs never allocate.
  std::byte* base();
  std::size_t size_bytes() const { return reserved_; }

 private:
  std::size_t reserved_ = 0;
  std::size_t allocated_ = 0;
  std::shared_ptr<void> buffer_;
};

/// Constants that kernels prepared (weights reordered into a blocked layout), shared between the
/// sessions of one compiled model so that K concurrent streams hold one copy of the weights, not
/// K. An entry is found by the source constant's address and a description of the layout; the
/// entry keeps its source alive, so an address cannot be reused by another constant while the
/// cache lives. Thread-safe.
class ConstantCache {
 public:
  /// The prepared bytes for (`source`, `layout`): made by `prepare` (which returns a buffer of
  /// `size_bytes`) the first time, shared afterwards.
  std::shared_ptr<void> get_or_prepare(const Tensor& source, std::string_view layout,
                                       std::size_t size_bytes,
                                       const std::function<std::shared_ptr<void>()>& prepare);
  /// Bytes of all prepared constants.
  std::size_t size_bytes() const;

 private:
  struct Entry {
    Tensor source;
    std::shared_ptr<void> prepared;
    std::size_t size_bytes = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<const void*, std::string>, Entry, std::less<>> entries_;
};

/// Settings every kernel may read at creation.
struct KernelOptions {
  int threads = 0;  ///< 0: all cores
  /// Shared temporaries; null gives each kernel a private space (tests, folding).
  std::shared_ptr<ScratchSpace> scratch;
  /// Prepared constants shared with other sessions of the same model; null: private copies.
  std::shared_ptr<ConstantCache> constants;
};

/// Creates a kernel for `node` (whose values all have types) or declines, returning null and
/// saying why in `why_not` (e.g. "oneDNN has no implementation for 5-D ConvTranspose").
/// Unsupported user input that no kernel could run is a user Error instead.
using KernelFactory = std::unique_ptr<Kernel> (*)(const ir::Node& node,
                                                  const KernelOptions& options,
                                                  std::string& why_not);

/// A constant input's data, or a user error saying the node needs it constant (kiln compiles for
/// static shapes, so shape-like inputs must fold to constants).
const Tensor& require_constant_input(const ir::Node& node, std::size_t index,
                                     std::string_view what);

/// The type of input `index`; a user error when the input is absent or has no type yet.
const ir::Value& require_input(const ir::Node& node, std::size_t index, std::string_view what);

}  // namespace kiln::kernels
