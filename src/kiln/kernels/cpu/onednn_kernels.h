#pragma once

// The oneDNN kernels, as KernelFactory functions (cpu_kernel_list.cpp lists them per op). Each
// declines, saying why, for what oneDNN cannot do with kiln's semantics; the reference kernel
// then runs. Tests and benchmarks call them directly. This header does not include oneDNN.

#include <memory>
#include <string>

#include "kiln/kernels/kernel.h"

namespace kiln::kernels::cpu {

/// How a oneDNN convolution meets kiln's plain NCHW tensors.
enum class ConvLayout {
  kAuto,     ///< choose per node, by the rule in onednn_convolution.cpp
  kPlain,    ///< the primitive reads and writes NCHW itself
  kBlocked,  ///< the primitive picks its layouts; reorders into and out of owned buffers
};

/// Conv and ConvTranspose (1 to 3 spatial axes, groups, dilations, asymmetric pads, bias).
std::unique_ptr<Kernel> create_onednn_conv(const ir::Node& node, const KernelOptions& options,
                                           std::string& why_not, ConvLayout layout);
std::unique_ptr<Kernel> make_onednn_conv(const ir::Node& node, const KernelOptions& options,
                                         std::string& why_not);

/// MatMul (batch broadcasting; a constant B reordered once).
std::unique_ptr<Kernel> make_onednn_matmul(const ir::Node& node, const KernelOptions& options,
                                           std::string& why_not);
/// Gemm (transposes, alpha, beta, C broadcast; constant B reordered once).
std::unique_ptr<Kernel> make_onednn_gemm(const ir::Node& node, const KernelOptions& options,
                                         std::string& why_not);

/// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool.
std::unique_ptr<Kernel> make_onednn_pool(const ir::Node& node, const KernelOptions& options,
                                         std::string& why_not);

/// BatchNormalization (inference, global statistics).
std::unique_ptr<Kernel> make_onednn_batch_norm(const ir::Node& node, const KernelOptions& options,
                                               std::string& why_not);

/// Add, Sub, Mul, Div (float32; one operand with the output's shape, the other broadcast).
std::unique_ptr<Kernel> make_onednn_binary(const ir::Node& node, const KernelOptions& options,
                                           std::string& why_not);

/// LayerNormalization over the last axis, float32, Y only.
std::unique_ptr<Kernel> make_onednn_layer_norm(const ir::Node& node, const KernelOptions& options,
                                               std::string& why_not);

/// Softmax and LogSoftmax over one axis, float32.
std::unique_ptr<Kernel> make_onednn_softmax(const ir::Node& node, const KernelOptions& options,
                                            std::string& why_not);

/// Unary float32 ops oneDNN computes with kiln's semantics and accuracy: Abs, Elu, Exp, Gelu,
/// HardSwish, LeakyRelu, Relu, Sigmoid, Silu, Sqrt, Tanh.
std::unique_ptr<Kernel> make_onednn_eltwise(const ir::Node& node, const KernelOptions& options,
                                            std::string& why_not);

}  // namespace kiln::kernels::cpu
