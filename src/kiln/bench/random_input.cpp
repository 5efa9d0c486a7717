#include "kiln/bench/random_input.h"

namespace kiln::bench {

Tensor random_input(const TensorSignature& signature, std::mt19937& rng) {
  Tensor t(signature.dtype, signature.shape);
  if (signature.dtype == DType::kFloat32) {
    std::normal_distribution<float> normal(0.f, 1.f);
    for (float& v : t.span<float>()) v = normal(rng);
  }
  return t;
}

std::vector<Tensor> random_inputs(const std::vector<TensorSignature>& inputs, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Tensor> tensors;
  tensors.reserve(inputs.size());
  for (const TensorSignature& s : inputs) tensors.push_back(random_input(s, rng));
  return tensors;
}

}  // namespace kiln::bench
