// `kiln info MODEL`: what a model takes and gives, what it is made of and what it costs.

#include <fmt/format.h>

#include "kiln/bench/input_checks.h"
#include "kiln/cli/commands.h"
#include "kiln/cli/model_options.h"
#include "kiln/compiler/model_statistics.h"
#include "kiln/compiler/pipeline.h"
#include "kiln/runtime/explain.h"

namespace kiln::cli {

namespace {

void print_signature(std::string_view title, const std::vector<ir::Value*>& values) {
  fmt::print("{}:\n", title);
  for (const ir::Value* v : values) {
    fmt::print("  {:<24} {:<8} {}\n", v->name(), dtype_name(v->dtype()), v->shape().to_string());
  }
}

struct InfoOptions {
  ModelOptions model;
  bool explain = false;
};

void run_info(const InfoOptions& info_options) {
  const ModelOptions& options = info_options.model;
  const SessionOptions session_options = options.session_options();
  onnx::ImportedModel model = onnx::import_model(options.model, session_options.import);
  bench::require_model_outputs(model.graph.outputs().size(), options.model);
  // Parameters and the op histogram describe the file as exported; MACs need the shapes that
  // only compilation knows.
  const compiler::ModelStatistics as_imported = compiler::compute_statistics(model.graph);
  const std::size_t imported_nodes = model.graph.node_count();
  // A session compiles the graph and chooses every node's kernel (what --explain shows).
  const Session session = with_context(
      [&] { return fmt::format("while compiling '{}'", options.model); },
      [&] {
        return Session(std::move(model.graph), session_options, &model.onnx_inferred_shapes);
      });
  const ir::Graph& graph = session.graph();
  const compiler::ModelStatistics compiled = compiler::compute_statistics(graph);

  fmt::print("model:      {}\n", options.model);
  fmt::print("producer:   {} (ONNX IR version {}, opset {})\n",
             model.producer.empty() ? "unknown" : model.producer, model.ir_version, model.opset);
  print_signature("inputs", graph.inputs());
  print_signature("outputs", graph.outputs());
  fmt::print(
      "parameters: {} ({:.2f} M floating-point constants: weights, biases, BatchNorm statistics)\n",
      as_imported.parameters, static_cast<double>(as_imported.parameters) / 1e6);
  fmt::print("MACs:       {} ({:.3f} G) at this input shape\n", compiled.macs,
             static_cast<double>(compiled.macs) / 1e9);
  fmt::print("nodes:      {} imported (Constant nodes become weights), {} after compilation\n",
             imported_nodes, graph.node_count());
  fmt::print("ops as imported:\n");
  for (const auto& [op, count] : as_imported.op_histogram) fmt::print("  {:<24} {}\n", op, count);
  if (info_options.explain) fmt::print("\n{}", explain_session(session));
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* command =
      app.add_subcommand("info", "show a model's inputs, outputs, op histogram, parameters, MACs");
  options->model.add_to(*command);
  command->add_flag("--explain", options->explain,
                    "also show what each compiler pass changed, the fused post-ops, each node's "
                    "kernel and why faster kernels declined");
  command->callback([options] { run_info(*options); });
}

}  // namespace kiln::cli
