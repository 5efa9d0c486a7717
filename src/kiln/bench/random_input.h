// Seeded synthetic inputs for pure-inference runs: normal(0, 1) floats, zeros for integer inputs
// (always a valid index or mask).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "kiln/core/tensor.h"
#include "kiln/runtime/session.h"

namespace kiln::bench {

Tensor random_input(const TensorSignature& signature, std::mt19937& rng);
/// One tensor per input of `inputs`, from one generator seeded with `seed`.
std::vector<Tensor> random_inputs(const std::vector<TensorSignature>& inputs, std::uint32_t seed);

}  // namespace kiln::bench
