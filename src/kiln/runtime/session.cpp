#include "kiln/runtime/session.h"

#include <omp.h>

#include <chrono>
#include <unordered_map>

#include "kiln/kernels/registry.h"
#include "kiln/runtime/memory_plan.h"

namespace kiln {

namespace {

// Where a value's elements live at run time.
enum class Home {
  kConstant,     // its own tensor, filled at compile time
  kArena,        // the planned arena at a fixed offset
  kGraphInput,   // the caller's input buffer, bound per run
  kGraphOutput,  // the caller's output buffer, bound per run
};

struct Step {
  const ir::Node* node = nullptr;
  std::unique_ptr<kernels::Kernel> kernel;  // null for an alias step
  std::vector<Tensor> inputs;
  std::vector<Tensor> outputs;
};

// A graph output that no step writes: a folded constant, or a graph input passed through.
struct OutputCopy {
  std::size_t output;
  Tensor constant;            // the data, when a constant
  std::ptrdiff_t input = -1;  // the graph input, when passed through
};

// A tensor slot that must point into a caller buffer on each run.
struct Binding {
  Tensor* slot;
  bool is_output;     // caller output (true) or input (false)
  std::size_t index;  // position in the caller's span
};

}  // namespace

struct Session::State {
  std::shared_ptr<const ir::Graph> graph;  // compiled; shared by share_weights() sessions
  SessionOptions options;
  std::vector<TensorSignature> inputs;
  std::vector<TensorSignature> outputs;
  std::vector<Step> steps;
  std::vector<StepInfo> step_info;
  std::shared_ptr<const compiler::PassContext> compile_log;  // runs and remarks, not callbacks
  std::vector<Binding> bindings;
  std::vector<OutputCopy> output_copies;
  std::shared_ptr<void> arena;
  std::size_t arena_bytes = 0;
  std::shared_ptr<kernels::ScratchSpace> scratch = std::make_shared<kernels::ScratchSpace>();
  std::shared_ptr<kernels::ConstantCache> constants = std::make_shared<kernels::ConstantCache>();
  std::size_t constant_bytes = 0;
  int threads = 1;

  void prepare();
};

namespace {

bool aliases_input(const ir::Node& node, const ir::Graph& graph) {
  // Reshape-like ops reuse their input's bytes, unless the result must land in a caller's
  // output buffer (then the op's own kernel copies).
  return ir::has_trait(node.op(), ir::kReshapeLike) && node.input(0) != nullptr &&
         !graph.is_graph_output(node.output(0));
}

}  // namespace

void Session::State::prepare() {
  const ir::Graph& graph = *this->graph;
  threads = options.threads > 0 ? options.threads : omp_get_num_procs();
  for (const ir::Value* in : graph.inputs())
    inputs.push_back({in->name(), in->dtype(), in->shape()});
  for (const ir::Value* out : graph.outputs()) {
    outputs.push_back({out->name(), out->dtype(), out->shape()});
  }

  // 1. Homes and lifetimes. A value aliasing another shares its root's buffer.
  const std::vector<ir::Node*> nodes = graph.nodes();
  std::unordered_map<const ir::Value*, const ir::Value*> root;
  std::unordered_map<const ir::Value*, std::size_t> request_of;
  std::vector<runtime::BufferRequest> requests;
  auto root_of = [&](const ir::Value* v) {
    auto it = root.find(v);
    return it == root.end() ? v : it->second;
  };
  for (std::size_t step = 0; step < nodes.size(); ++step) {
    const ir::Node& node = *nodes[step];
    for (const ir::Value* in : node.inputs()) {
      if (in == nullptr) continue;
      auto it = request_of.find(root_of(in));
      if (it != request_of.end()) requests[it->second].last_step = step;
    }
    if (aliases_input(node, graph)) {
      root[node.output(0)] = root_of(node.input(0));
      continue;
    }
    for (const ir::Value* out : node.outputs()) {
      if (graph.is_graph_output(out)) continue;
      request_of[out] = requests.size();
      requests.push_back({out->shape().numel() * dtype_size(out->dtype()), step, step});
    }
  }
  const runtime::MemoryPlan plan = runtime::plan_memory(requests);
  arena_bytes = plan.arena_bytes;
  arena = allocate_aligned(arena_bytes);
  std::byte* arena_base = static_cast<std::byte*>(arena.get());

  for (const ir::Value* v : graph.values()) {
    if (v->is_constant()) constant_bytes += v->constant().size_bytes();
  }

  // 2. A tensor for every value, and which ones follow caller buffers.
  auto index_in = [](const std::vector<ir::Value*>& list, const ir::Value* v) -> std::ptrdiff_t {
    auto it = std::find(list.begin(), list.end(), v);
    return it == list.end() ? -1 : it - list.begin();
  };
  auto make_slot = [&](const ir::Value* v, std::vector<Tensor>& slots) {
    const ir::Value* r = root_of(v);
    if (r->is_constant()) {
      slots.push_back(r->constant().reshaped(v->shape()));
      return;
    }
    if (auto it = request_of.find(r); it != request_of.end()) {
      slots.push_back(Tensor::view(v->dtype(), v->shape(), arena_base + plan.offsets[it->second]));
      return;
    }
    slots.push_back(Tensor::view(v->dtype(), v->shape(), nullptr));
  };

  step_info.reserve(nodes.size());
  for (const ir::Node* node : nodes) {
    Step step;
    step.node = node;
    StepInfo info{node->name(), std::string(node->op_name()), "alias", {}, 0, 0};
    if (!aliases_input(*node, graph)) {
      kernels::KernelChoice choice =
          with_context([&] { return fmt::format("while preparing {}", node->describe()); },
                       [&] {
                         return kernels::create_kernel(
                             *node, kernels::KernelOptions{threads, scratch, constants});
                       });
      step.kernel = std::move(choice.kernel);
      info.implementation = step.kernel->implementation();
      info.declined = std::move(choice.declined);
    }
    for (const ir::Value* in : node->inputs()) {
      if (in == nullptr) {
        step.inputs.emplace_back();
      } else {
        make_slot(in, step.inputs);
      }
    }
    for (const ir::Value* out : node->outputs()) make_slot(out, step.outputs);
    steps.push_back(std::move(step));
    step_info.push_back(std::move(info));
  }
  scratch->base();  // allocate the kernels' shared temporaries now, not in the first run

  // Bind slots (now at stable addresses) that follow caller buffers.
  for (Step& step : steps) {
    auto bind = [&](const ir::Value* v, Tensor* slot) {
      const ir::Value* r = root_of(v);
      if (std::ptrdiff_t i = index_in(graph.inputs(), r); i >= 0) {
        bindings.push_back({slot, false, static_cast<std::size_t>(i)});
      } else if (std::ptrdiff_t o = index_in(graph.outputs(), r); o >= 0) {
        bindings.push_back({slot, true, static_cast<std::size_t>(o)});
      }
    };
    for (std::size_t i = 0; i < step.node->input_count(); ++i) {
      if (step.node->input(i) != nullptr) bind(step.node->input(i), &step.inputs[i]);
    }
    for (std::size_t i = 0; i < step.node->output_count(); ++i) {
      bind(step.node->output(i), &step.outputs[i]);
    }
  }
  for (std::size_t o = 0; o < graph.outputs().size(); ++o) {
    const ir::Value* out = graph.outputs()[o];
    if (out->is_constant()) {
      output_copies.push_back({o, out->constant()});
    } else if (out->producer() == nullptr) {
      output_copies.push_back({o, Tensor(), index_in(graph.inputs(), out)});
    }
  }
}

Session Session::from_onnx(const std::filesystem::path& path, const SessionOptions& options) {
  onnx::ImportedModel model = onnx::import_model(path, options.import);
  return with_context(
      [&] { return fmt::format("while compiling '{}'", path.string()); },
      [&] { return Session(std::move(model.graph), options, &model.onnx_inferred_shapes); });
}

Session::Session(ir::Graph graph, const SessionOptions& options,
                 const std::map<std::string, Shape, std::less<>>* reference_shapes)
    : state_(std::make_unique<State>()) {
  state_->options = options;
  compiler::PassContext context;
  context.reference_shapes = reference_shapes;
  compiler::compile(graph, options.compile, context);
  context.reference_shapes = nullptr;
  state_->compile_log = std::make_shared<const compiler::PassContext>(std::move(context));
  state_->graph = std::make_shared<const ir::Graph>(std::move(graph));
  state_->prepare();
}

Session::Session(std::unique_ptr<State> state) : state_(std::move(state)) {}

Session Session::share_weights(int threads) const {
  auto state = std::make_unique<State>();
  state->graph = state_->graph;
  state->compile_log = state_->compile_log;
  state->constants = state_->constants;
  state->options = state_->options;
  if (threads > 0) state->options.threads = threads;
  state->prepare();
  return Session(std::move(state));
}

Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

const std::vector<TensorSignature>& Session::inputs() const {
  return state_->inputs;
}
const std::vector<TensorSignature>& Session::outputs() const {
  return state_->outputs;
}
const ir::Graph& Session::graph() const {
  return *state_->graph;
}
const std::vector<StepInfo>& Session::steps() const {
  return state_->step_info;
}
const std::vector<compiler::PassRun>& Session::pass_runs() const {
  return state_->compile_log->runs;
}
const std::vector<std::string>& Session::compile_remarks() const {
  return state_->compile_log->remarks;
}
std::size_t Session::arena_bytes() const {
  return state_->arena_bytes;
}
std::size_t Session::constant_bytes() const {
  return state_->constant_bytes;
}
std::size_t Session::prepared_constant_bytes() const {
  return state_->constants->size_bytes();
}
std::size_t Session::scratch_bytes() const {
  return state_->scratch->size_bytes();
}
int Session::threads() const {
  return state_->threads;
}

namespace {

void check_signature(std::span<const Tensor> tensors, const std::vector<TensorSignature>& expected,
                     std::string_view what) {
  if (tensors.size() != expected.size()) {
    throw_user_error("the model has {} {}s, {} were given", expected.size(), what, tensors.size());
  }
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].dtype() != expected[i].dtype || tensors[i].shape() != expected[i].shape) {
      throw_user_error("{} '{}' must be {}{}, got {}", what, expected[i].name,
                       dtype_name(expected[i].dtype), expected[i].shape.to_string(),
                       tensors[i].empty() ? "nothing" : tensors[i].description());
    }
  }
}

}  // namespace

void Session::run(std::span<const Tensor> inputs, std::span<Tensor> outputs) {
  State& s = *state_;
  check_signature(inputs, s.inputs, "input");
  check_signature({outputs.data(), outputs.size()}, s.outputs, "output");
  for (const Binding& b : s.bindings) {
    b.slot->rebind(b.is_output ? outputs[b.index].raw() : const_cast<void*>(inputs[b.index].raw()));
  }
  omp_set_num_threads(s.threads);
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    Step& step = s.steps[i];
    if (!step.kernel) continue;  // alias: its tensors already point at the right bytes
    if (s.options.profile) {
      const auto start = std::chrono::steady_clock::now();
      step.kernel->run(step.inputs, step.outputs);
      const std::chrono::duration<double, std::milli> elapsed =
          std::chrono::steady_clock::now() - start;
      s.step_info[i].total_ms += elapsed.count();
      ++s.step_info[i].calls;
    } else {
      step.kernel->run(step.inputs, step.outputs);
    }
  }
  for (const OutputCopy& copy : s.output_copies) {
    outputs[copy.output].copy_from(copy.input >= 0 ? inputs[copy.input] : copy.constant);
  }
}

std::vector<Tensor> Session::run(std::span<const Tensor> inputs) {
  std::vector<Tensor> outputs;
  outputs.reserve(state_->outputs.size());
  for (const TensorSignature& sig : state_->outputs) outputs.emplace_back(sig.dtype, sig.shape);
  run(inputs, outputs);
  return outputs;
}

}  // namespace kiln
