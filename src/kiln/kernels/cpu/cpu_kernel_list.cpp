// The one explicit list of optimized CPU kernels, per op, best first. The registry tries them
// in order and falls back to the op's reference kernel when all decline.

#include "kiln/kernels/cpu/cpu_kernels.h"
#include "kiln/kernels/cpu/onednn_kernels.h"

namespace kiln::kernels::cpu {

namespace {

constexpr NamedFactory kConv[] = {{"onednn", make_onednn_conv}};
constexpr NamedFactory kMatMul[] = {{"onednn", make_onednn_matmul}};
constexpr NamedFactory kGemm[] = {{"onednn", make_onednn_gemm}};
constexpr NamedFactory kPool[] = {{"onednn", make_onednn_pool}};
constexpr NamedFactory kBatchNorm[] = {{"onednn", make_onednn_batch_norm}};
constexpr NamedFactory kEltwise[] = {{"onednn", make_onednn_eltwise}};
constexpr NamedFactory kLayerNorm[] = {{"onednn", make_onednn_layer_norm}};
constexpr NamedFactory kSoftmax[] = {{"onednn", make_onednn_softmax}};
constexpr NamedFactory kBinary[] = {{"onednn", make_onednn_binary}};

}  // namespace

std::span<const NamedFactory> cpu_kernel_factories(ir::OpKind op) {
  using ir::OpKind;
  switch (op) {
    case OpKind::kConv:
    case OpKind::kConvTranspose:
      return kConv;
    case OpKind::kMatMul:
      return kMatMul;
    case OpKind::kGemm:
      return kGemm;
    case OpKind::kAveragePool:
    case OpKind::kGlobalAveragePool:
    case OpKind::kGlobalMaxPool:
    case OpKind::kMaxPool:
      return kPool;
    case OpKind::kBatchNormalization:
      return kBatchNorm;
    case OpKind::kAdd:
    case OpKind::kDiv:
    case OpKind::kMul:
    case OpKind::kSub:
      return kBinary;
    case OpKind::kLayerNormalization:
      return kLayerNorm;
    case OpKind::kLogSoftmax:
    case OpKind::kSoftmax:
      return kSoftmax;
    case OpKind::kAbs:
    case OpKind::kElu:
    case OpKind::kExp:
    case OpKind::kGelu:
    case OpKind::kHardSwish:
    case OpKind::kLeakyRelu:
    case OpKind::kRelu:
    case OpKind::kSigmoid:
    case OpKind::kSilu:
    case OpKind::kSqrt:
    case OpKind::kTanh:
      return kEltwise;
    default:
      return {};
  }
}

}  // namespace kiln::kernels::cpu
