#include "kiln/kernels/cpu/onednn_common.h"

#include <omp.h>

#include <algorithm>
#include <string_view>

namespace kiln::kernels::cpu::onednn {

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::memory::dims to_dims(const std::vector<std::int64_t>& values) {
  return dnnl::memory::dims(values.begin(), values.end());
}

dnnl::memory::dims to_dims(const Shape& shape) {
  return to_dims(shape.dims());
}

dnnl::memory::desc plain_desc(const dnnl::memory::dims& dims) {
  dnnl::memory::dims strides(dims.size(), 1);
  for (std::size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, strides);
}

bool is_generic_impl(const dnnl::primitive_desc_base& pd) {
  return std::string_view(pd.impl_info_str()).ends_with(":any");
}

std::unique_ptr<Kernel> decline_generic_impl(const dnnl::primitive_desc_base& pd,
                                             std::string& why_not) {
  why_not = fmt::format(
      "oneDNN has only a generic implementation ({}) here, no faster than kiln's reference",
      pd.impl_info_str());
  return nullptr;
}

dnnl::primitive_attr default_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

OwnedMemory::OwnedMemory(const dnnl::memory::desc& desc)
    // One byte at least: a zero-size scratchpad still wants a valid handle.
    : buffer_(allocate_aligned(std::max<std::size_t>(desc.get_size(), 1))),
      memory_(desc, cpu_engine(), buffer_.get()) {}

PreparedConstant::PreparedConstant(const Tensor& data, const dnnl::memory::desc& source_desc,
                                   const dnnl::memory::desc& desc, ConstantCache* cache) {
  void* source = const_cast<void*>(data.raw());
  if (desc == source_desc) {
    keep_alive_ = data;
    memory_ = dnnl::memory(desc, cpu_engine(), source);
    return;
  }
  auto reorder = [&] {
    const OwnedMemory owned(desc);
    dnnl::memory source_memory(source_desc, cpu_engine(), source);
    dnnl::memory target = owned.memory();
    dnnl::stream stream(cpu_engine());
    dnnl::reorder(source_memory, target).execute(stream, source_memory, target);
    stream.wait();
    return owned.buffer();
  };
  if (cache != nullptr) {
    // Both layouts, byte for byte, name the reorder (equal bytes are equal layouts; unequal
    // padding bytes would only cost a second copy).
    std::string layout(reinterpret_cast<const char*>(&source_desc.data), sizeof(source_desc.data));
    layout.append(reinterpret_cast<const char*>(&desc.data), sizeof(desc.data));
    prepared_ = cache->get_or_prepare(data, layout, desc.get_size(), reorder);
  } else {
    prepared_ = reorder();
  }
  memory_ = dnnl::memory(desc, cpu_engine(), prepared_.get());
}

ScopedThreads::ScopedThreads(int threads) {
  if (threads <= 0) return;
  saved_ = omp_get_max_threads();
  omp_set_num_threads(threads);
}

ScopedThreads::~ScopedThreads() {
  if (saved_ > 0) omp_set_num_threads(saved_);
}

OnednnKernel::OnednnKernel(const ir::Node& node, const dnnl::primitive_desc_base& pd,
                           const KernelOptions& options)
    : threads_(options.threads),
      node_description_(node.describe()),
      implementation_(std::string("onednn:") + pd.impl_info_str()),
      stream_(cpu_engine()),
      scratch_(options.scratch ? options.scratch : std::make_shared<ScratchSpace>()) {
  args_[DNNL_ARG_SCRATCHPAD] = scratch_memory(pd.scratchpad_desc());
}

dnnl::memory OnednnKernel::scratch_memory(const dnnl::memory::desc& desc) {
  dnnl::memory memory(desc, cpu_engine(), nullptr);
  scratch_memories_.emplace_back(memory, scratch_bytes_);
  const std::size_t size =
      (desc.get_size() + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  scratch_bytes_ += size;
  scratch_->reserve(scratch_bytes_);
  return memory;
}

ReorderStep OnednnKernel::make_reorder(const dnnl::memory& src, const dnnl::memory& dst) {
  const dnnl::reorder::primitive_desc pd(cpu_engine(), src.get_desc(), cpu_engine(), dst.get_desc(),
                                         default_attr());
  ReorderStep step;
  step.primitive = dnnl::reorder(pd);
  step.args = {{DNNL_ARG_FROM, src},
               {DNNL_ARG_TO, dst},
               {DNNL_ARG_SCRATCHPAD, scratch_memory(pd.scratchpad_desc())}};
  return step;
}

void OnednnKernel::execute(const dnnl::primitive& primitive,
                           const std::unordered_map<int, dnnl::memory>& args) {
  const ScopedThreads threads(threads_);
  // The shared space may have been allocated or moved since creation: point every temporary
  // at its place (a handful of pointer stores).
  std::byte* base = scratch_->base();
  for (auto& [memory, offset] : scratch_memories_) memory.set_data_handle(base + offset);
  try {
    primitive.execute(stream_, args);
    stream_.wait();
  } catch (const dnnl::error& e) {
    throw_internal_error("{}: oneDNN ({}) failed: {}", node_description_, implementation_,
                         e.what());
  }
}

}  // namespace kiln::kernels::cpu::onednn
