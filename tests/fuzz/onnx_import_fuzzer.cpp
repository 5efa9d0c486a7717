// The `kiln info` path on arbitrary bytes: parse the ModelProto, import (checker, opsets, input
// shapes, ONNX shape inference, the graph), compile (kiln's shape inference and constant
// folding), then the statistics info prints.

#include "fuzz_support.h"
#include "kiln/compiler/model_statistics.h"
#include "kiln/compiler/pipeline.h"
#include "kiln/onnx/import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kiln::fuzz::run_one_input([&] {
    // External data resolves against an empty directory of this process's own.
    kiln::onnx::ImportedModel model = kiln::onnx::import_model_bytes(
        kiln::fuzz::as_text(data, size), "fuzz.onnx", kiln::fuzz::scratch_directory());
    kiln::compiler::PassContext context;
    context.reference_shapes = &model.onnx_inferred_shapes;
    kiln::compiler::compile(model.graph, kiln::compiler::CompileOptions{}, context);
    kiln::compiler::compute_statistics(model.graph);
  });
}
