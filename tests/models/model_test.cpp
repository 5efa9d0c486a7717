// The zoo's tiny models, exported by models/export.py (the zoo_export_tiny CTest fixture), must
// match PyTorch's outputs at batch 1 and 3: max|kiln - torch| <= 1e-4 + 1e-3 * max|torch|.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "kiln/core/npy.h"
#include "kiln/runtime/session.h"

namespace kiln {
namespace {

std::filesystem::path zoo_dir() {
  const char* dir = std::getenv("KILN_ZOO_DIR");
  return dir != nullptr ? std::filesystem::path(dir)
                        : std::filesystem::path(KILN_BINARY_DIR) / "zoo";
}

struct Comparison {
  double max_abs_error = 0;
  double max_abs_reference = 0;
};

Comparison compare(const Tensor& actual, const Tensor& reference) {
  Comparison c;
  const Tensor a = actual.to_float32();
  const Tensor r = reference.to_float32();
  for (std::int64_t i = 0; i < r.numel(); ++i) {
    const double diff = std::fabs(static_cast<double>(a.data<float>()[i]) - r.data<float>()[i]);
    c.max_abs_error = std::isnan(diff) ? INFINITY : std::max(c.max_abs_error, diff);
    c.max_abs_reference =
        std::max(c.max_abs_reference, std::fabs(static_cast<double>(r.data<float>()[i])));
  }
  return c;
}

class ZooModel : public ::testing::TestWithParam<std::string> {};

TEST_P(ZooModel, MatchesPyTorchAtBatch1And3) {
  const std::filesystem::path manifest_path = zoo_dir() / (GetParam() + ".json");
  ASSERT_TRUE(std::filesystem::exists(manifest_path))
      << manifest_path << " is missing: run models/export.py (the zoo_export_tiny test)";
  const nlohmann::json manifest = nlohmann::json::parse(std::ifstream(manifest_path));
  const std::filesystem::path model = zoo_dir() / manifest.at("onnx").get<std::string>();

  for (const char* batch : {"1", "3"}) {
    SCOPED_TRACE(std::string("batch ") + batch);
    const nlohmann::json& reference = manifest.at("reference").at(batch);
    std::vector<Tensor> inputs;
    SessionOptions options;
    for (const auto& input : manifest.at("inputs")) {
      const std::string name = input.at("name");
      Tensor t = read_npy(zoo_dir() / reference.at("inputs").at(name).get<std::string>());
      options.import.input_shapes[name] = t.shape().dims();
      inputs.push_back(std::move(t));
    }
    Session session = Session::from_onnx(model, options);
    std::vector<Tensor> outputs = session.run(inputs);
    ASSERT_EQ(outputs.size(), manifest.at("outputs").size());
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const std::string name = session.outputs()[i].name;
      const Tensor expected =
          read_npy(zoo_dir() / reference.at("outputs").at(name).get<std::string>());
      ASSERT_EQ(outputs[i].shape(), expected.shape()) << name;
      const Comparison c = compare(outputs[i], expected);
      const double tolerance = 1e-4 + 1e-3 * c.max_abs_reference;
      EXPECT_LE(c.max_abs_error, tolerance)
          << GetParam() << " output " << name << ": max |kiln - torch| = " << c.max_abs_error
          << ", max |torch| = " << c.max_abs_reference;
      std::printf("%s batch %s output %s: max|kiln-torch| %.3g, max|torch| %.3g\n",
                  GetParam().c_str(), batch, name.c_str(), c.max_abs_error, c.max_abs_reference);
    }
  }
}

std::vector<std::string> tiny_variants() {
  std::vector<std::string> names;
  for (const char* key :
       {"dpn131", "rdn_x2", "rdn_x2_opset9", "lvvit_s", "deeplabv2", "efficientdet_d0"}) {
    names.push_back(std::string(key) + "_tiny");
    names.push_back(std::string(key) + "_tiny_bn");
  }
  for (const char* key : {"dpn131", "rdn_x2", "lvvit_s", "deeplabv2", "efficientdet_d0"}) {
    names.push_back(std::string(key) + "_tiny_opset13");
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(Tiny, ZooModel, ::testing::ValuesIn(tiny_variants()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace kiln
