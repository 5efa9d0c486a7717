#pragma once

#include <memory>

#include "kiln/compiler/pass.h"

namespace kiln::compiler::passes {

/// Gives every value a type (shape inference op by op) and computes every node whose inputs are
/// all constants with the op's reference kernel, so shape arithmetic (Shape -> Gather -> Concat
/// -> Reshape) and weight preprocessing (Cast of float16 weights) disappear before run time.
std::unique_ptr<Pass> make_infer_and_fold_constants();
/// Removes Identity nodes (Dropout was mapped to Identity on import).
std::unique_ptr<Pass> make_eliminate_identity();
/// Removes nodes none of whose outputs reach a graph output.
std::unique_ptr<Pass> make_eliminate_dead_nodes();
/// Replaces the exported erf-GELU chain (Div, Erf, Add, Mul, Mul) by one Gelu node.
std::unique_ptr<Pass> make_fuse_gelu();
/// Replaces Mul(x, Sigmoid(x)) by one Silu node.
std::unique_ptr<Pass> make_fuse_silu();
/// Fuses activations, biases, per-channel scales and residual Adds into the Conv, ConvTranspose,
/// MatMul or Gemm that feeds them (post-ops, see ir/post_ops.h).
std::unique_ptr<Pass> make_fuse_post_ops();
/// Replaces the exported op-by-op LayerNorm (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div,
/// Mul, Add) by one LayerNormalization node.
std::unique_ptr<Pass> make_fuse_layer_norm();
/// Replaces a ReduceMean over all spatial axes by GlobalAveragePool (oneDNN pooling).
std::unique_ptr<Pass> make_reduce_mean_to_global_pool();
/// Folds a zero Pad of the spatial axes into the Conv that alone reads it.
std::unique_ptr<Pass> make_fold_pad_into_conv();
/// Rewrites an inference BatchNormalization that cannot fold into a Conv as a per-channel Mul
/// and Add (which fuse_post_ops then fuses, with a following activation, into one kernel).
std::unique_ptr<Pass> make_batchnorm_to_scale_shift();
/// Folds an inference BatchNormalization into the Conv that alone feeds it.
std::unique_ptr<Pass> make_fold_batchnorm_into_conv();

}  // namespace kiln::compiler::passes
