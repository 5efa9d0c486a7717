#pragma once

// Shared plumbing of the oneDNN kernels. Internal to kernels/cpu: the only place in kiln that
// includes dnnl.hpp.

#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "kiln/core/tensor.h"
#include "kiln/kernels/kernel.h"

namespace kiln::kernels::cpu::onednn {

/// The process's one CPU engine (oneDNN engines are thread-safe to share).
const dnnl::engine& cpu_engine();

dnnl::memory::dims to_dims(const std::vector<std::int64_t>& values);
dnnl::memory::dims to_dims(const Shape& shape);

/// A dense row-major float32 descriptor (what a kiln::Tensor holds).
dnnl::memory::desc plain_desc(const dnnl::memory::dims& dims);

/// Whether oneDNN chose one of its generic C++ implementations rather than code for this CPU's
/// ISA: their names end in ":any" ("ref:any", "simple_nchw:any", "ncsp_bnorm:any"). They are no
/// faster than kiln's reference kernels (measured: ncsp_bnorm 3x slower), so factories decline.
bool is_generic_impl(const dnnl::primitive_desc_base& pd);
/// Declines for that reason: sets `why_not`, returns null.
std::unique_ptr<Kernel> decline_generic_impl(const dnnl::primitive_desc_base& pd,
                                             std::string& why_not);

/// Attributes every kiln primitive uses: a user-managed scratchpad, so each kernel owns its
/// scratch space (taken at creation; run() allocates nothing) and kernels on different threads
/// never share one.
dnnl::primitive_attr default_attr();

/// Memory the kernel owns: a 64-byte aligned buffer sized for `desc`, and the memory object on it.
class OwnedMemory {
 public:
  OwnedMemory() = default;
  explicit OwnedMemory(const dnnl::memory::desc& desc);
  const dnnl::memory& memory() const { return memory_; }
  void* data() const { return buffer_.get(); }
  const std::shared_ptr<void>& buffer() const { return buffer_; }

 private:
  std::shared_ptr<void> buffer_;
  dnnl::memory memory_;
};

/// A constant tensor in the layout `desc` wants, made once at kernel creation: a view of the
/// constant itself when `desc` is its plain layout (the Tensor keeps the constant alive), else
/// a reorder into a buffer — taken from `cache` when another session of the model already made
/// it, so streams share one copy.
class PreparedConstant {
 public:
  PreparedConstant() = default;
  /// `source_desc` describes how `data` is laid out (plain, or strided as for ConvTranspose's
  /// weights). `cache` may be null (a private copy).
  PreparedConstant(const Tensor& data, const dnnl::memory::desc& source_desc,
                   const dnnl::memory::desc& desc, ConstantCache* cache);
  const dnnl::memory& memory() const { return memory_; }

 private:
  Tensor keep_alive_;
  std::shared_ptr<void> prepared_;
  dnnl::memory memory_;
};

/// Sets the calling thread's OpenMP thread count (what oneDNN's CPU runtime uses) for a scope;
/// 0 leaves it alone. oneDNN sizes some kernels by the thread count at creation, so kernels
/// create and run under the same guard.
class ScopedThreads {
 public:
  explicit ScopedThreads(int threads);
  ~ScopedThreads();
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;

 private:
  int saved_ = 0;
};

/// Points a memory object at a tensor's elements (const_cast: oneDNN's handles are void*, and
/// it only reads inputs).
inline void bind(dnnl::memory& memory, const Tensor& tensor) {
  memory.set_data_handle(const_cast<void*>(tensor.raw()));
}

/// A reorder between a tensor in kiln's plain layout and a buffer in the layout a primitive
/// chose, prepared at creation (OnednnKernel::make_reorder).
struct ReorderStep {
  explicit operator bool() const { return static_cast<bool>(primitive); }

  dnnl::reorder primitive;
  std::unordered_map<int, dnnl::memory> args;
};

/// What every oneDNN kernel shares: the node's name for errors, its implementation string, a
/// stream, its temporaries in the session's shared scratch space, and the run-time argument map
/// of the main primitive.
class OnednnKernel : public Kernel {
 public:
  std::string implementation() const override { return implementation_; }

 protected:
  OnednnKernel(const ir::Node& node, const dnnl::primitive_desc_base& pd,
               const KernelOptions& options);

  /// A memory object for a temporary of layout `desc`, placed in the shared scratch space (its
  /// address is set before every primitive runs, as the space is allocated after creation).
  dnnl::memory scratch_memory(const dnnl::memory::desc& desc);
  /// A reorder from `src` to `dst`, with its scratchpad in the shared space.
  ReorderStep make_reorder(const dnnl::memory& src, const dnnl::memory& dst);

  /// Runs a primitive on its arguments (the main one on args_); a dnnl::error becomes an
  /// internal kiln::Error naming the node.
  void execute(const dnnl::primitive& primitive, const std::unordered_map<int, dnnl::memory>& args);
  void execute(const dnnl::primitive& primitive) { execute(primitive, args_); }

  int threads_ = 0;
  std::string node_description_;
  std::string implementation_;
  dnnl::stream stream_;
  std::unordered_map<int, dnnl::memory> args_;

 private:
  std::shared_ptr<ScratchSpace> scratch_;
  std::size_t scratch_bytes_ = 0;  // this kernel's part of the space
  std::vector<std::pair<dnnl::memory, std::size_t>> scratch_memories_;  // and their offsets
};

/// A kernel that runs one primitive reading input 0 and writing output 0, both in kiln's plain
/// layout (eltwise, pooling, softmax).
template <typename Primitive>
class SourceToDestinationKernel final : public OnednnKernel {
 public:
  SourceToDestinationKernel(const ir::Node& node, const typename Primitive::primitive_desc& pd,
                            const KernelOptions& options)
      : OnednnKernel(node, pd, options), primitive_(pd) {
    src_ = dnnl::memory(pd.src_desc(), cpu_engine(), nullptr);
    dst_ = dnnl::memory(pd.dst_desc(), cpu_engine(), nullptr);
    args_[DNNL_ARG_SRC] = src_;
    args_[DNNL_ARG_DST] = dst_;
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    bind(src_, inputs[0]);
    bind(dst_, outputs[0]);
    execute(primitive_);
  }

 private:
  Primitive primitive_;
  dnnl::memory src_;
  dnnl::memory dst_;
};

/// Creates a kernel with `make` under the options' thread count, turning a dnnl::error (no
/// implementation, unsupported geometry) into a declined kernel with the error in `why_not`.
template <typename Make>
std::unique_ptr<Kernel> create_or_decline(const KernelOptions& options, std::string& why_not,
                                          Make&& make) {
  const ScopedThreads threads(options.threads);
  try {
    return make();
  } catch (const dnnl::error& e) {
    why_not = std::string("oneDNN refused: ") + e.what();
    return nullptr;
  }
}

}  // namespace kiln::kernels::cpu::onednn
