// Small sessions and datasets for the bench layer's tests: a two-output model with a batch
// dimension, and sample files written to a fresh temporary directory.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "kiln/bench/dataset_source.h"
#include "kiln/core/file_io.h"
#include "kiln/core/npy.h"
#include "kiln/runtime/session.h"
#include "testing/single_node.h"

namespace kiln::bench::testing {

/// x[batch, 2, 3] -> relu = Relu(x) and scaled = x * 3: two outputs batched like the input.
inline Session two_output_session(std::int64_t batch) {
  ir::Graph g;
  ir::Value* x = kiln::testing::graph_input(g, "x", Shape{batch, 2, 3});
  ir::Value* relu = g.add_value("relu");
  g.add_node(ir::OpKind::kRelu, "relu_node", {x}, {relu});
  ir::Value* scaled = g.add_value("scaled");
  g.add_node(ir::OpKind::kMul, "mul_node",
             {x, g.add_constant("three", kiln::testing::f32(Shape{1}, {3.f}))}, {scaled});
  g.outputs().push_back(relu);
  g.outputs().push_back(scaled);
  return Session(std::move(g));
}

/// A fresh, empty directory under the system's temporary directory.
inline std::filesystem::path fresh_directory(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("kiln_bench_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// Writes `count` samples of float32[2,3] as `sample_NNN.bin` (or .npy) and returns them.
inline std::vector<Tensor> write_samples(const std::filesystem::path& dir, int count,
                                         bool npy = false) {
  std::filesystem::create_directories(dir);
  std::vector<Tensor> samples;
  for (int i = 0; i < count; ++i) {
    Tensor t = kiln::testing::random_tensor(Shape{2, 3}, 100 + i);
    const std::string stem = fmt::format("sample_{:03}", i);
    if (npy) {
      write_npy(dir / (stem + ".npy"), t);
    } else {
      write_file_atomically(dir / (stem + ".bin"),
                            std::string_view(static_cast<const char*>(t.raw()), t.size_bytes()));
    }
    samples.push_back(t);
  }
  return samples;
}

}  // namespace kiln::bench::testing
