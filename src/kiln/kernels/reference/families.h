#pragma once

#include "kiln/kernels/op_definitions.h"

/// Each op family fills in the definitions of its ops. op_definitions.cpp calls every one of
/// these, once, in this order; a family file defines only the ops listed beside it.
namespace kiln::kernels::reference {

/// Abs Add And Cast Ceil Clip Cos Div Elu Equal Erf Exp Floor Gelu Greater GreaterOrEqual
/// HardSigmoid HardSwish LeakyRelu Less LessOrEqual Log Max Mean Min Mul Neg Not Or PRelu Pow
/// Reciprocal Relu Round Sigmoid Sign Silu Sin Softplus Sqrt Sub Sum Tanh Where
void define_elementwise_ops(OpDefinitionTable& table);
/// ArgMax LayerNormalization LogSoftmax ReduceL2 ReduceMax ReduceMean ReduceMin ReduceProd
/// ReduceSum Softmax TopK
void define_reduction_ops(OpDefinitionTable& table);
/// Concat ConstantOfShape DepthToSpace Expand Flatten Gather Identity Pad Range Reshape Shape
/// Size Slice SpaceToDepth Split Squeeze Tile Transpose Unsqueeze
void define_tensor_ops(OpDefinitionTable& table);
/// Resize
void define_resize_ops(OpDefinitionTable& table);
/// Conv ConvTranspose
void define_convolution_ops(OpDefinitionTable& table);
/// AveragePool GlobalAveragePool GlobalMaxPool MaxPool
void define_pooling_ops(OpDefinitionTable& table);
/// BatchNormalization
void define_normalization_ops(OpDefinitionTable& table);
/// Gemm MatMul
void define_matmul_ops(OpDefinitionTable& table);

}  // namespace kiln::kernels::reference
