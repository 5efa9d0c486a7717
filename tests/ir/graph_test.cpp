#include "kiln/ir/graph.h"

#include <gtest/gtest.h>

#include "kiln/core/error.h"

namespace kiln::ir {
namespace {

TEST(OpTable, FindsOpsByOnnxName) {
  EXPECT_EQ(find_op("Conv"), OpKind::kConv);
  EXPECT_EQ(find_op("Where"), OpKind::kWhere);
  EXPECT_EQ(find_op("Abs"), OpKind::kAbs);
  EXPECT_FALSE(find_op("NonMaxSuppression").has_value());
  EXPECT_FALSE(find_op("conv").has_value());
  EXPECT_EQ(op_name(OpKind::kMatMul), "MatMul");
  EXPECT_TRUE(has_trait(OpKind::kAdd, kCommutative));
  EXPECT_FALSE(has_trait(OpKind::kSub, kCommutative));
  EXPECT_TRUE(has_trait(OpKind::kReshape, kReshapeLike));
  for (const OpInfo& info : kOpTable) EXPECT_EQ(find_op(info.name), info.kind) << info.name;
}

// x -> Relu -> a -> Add(a, c) -> y
struct SmallGraph {
  Graph g;
  Value* x = g.add_value("x");
  Value* a = g.add_value("a");
  Value* c = g.add_constant("c", Tensor(DType::kFloat32, Shape{4}));
  Value* y = g.add_value("y");
  Node* relu;
  Node* add;
  SmallGraph() {
    x->set_type(DType::kFloat32, Shape{4});
    g.inputs().push_back(x);
    relu = g.add_node(OpKind::kRelu, "relu", {x}, {a});
    add = g.add_node(OpKind::kAdd, "add", {a, c}, {y});
    g.outputs().push_back(y);
  }
};

TEST(Graph, BuildsAndVerifies) {
  SmallGraph s;
  EXPECT_NO_THROW(s.g.verify());
  EXPECT_THROW(s.g.verify(/*require_types=*/true), Error);  // a and y have no type yet
  EXPECT_EQ(s.a->producer(), s.relu);
  EXPECT_EQ(s.g.consumers(s.a), std::vector<Node*>{s.add});
  EXPECT_TRUE(s.g.is_graph_output(s.y));
  EXPECT_EQ(s.g.find_value("c"), s.c);
  EXPECT_EQ(s.g.find_value("nope"), nullptr);
}

TEST(Graph, DuplicateNamesAndDoubleProducersAreRefused) {
  SmallGraph s;
  EXPECT_THROW(s.g.add_value("x"), Error);
  EXPECT_THROW(s.g.add_node(OpKind::kNeg, "neg", {s.x}, {s.a}), Error);
  EXPECT_EQ(s.g.unique_name("x"), "x_0");
  EXPECT_EQ(s.g.unique_name("fresh"), "fresh");
}

TEST(Graph, SortsTopologicallyAndDetectsUseBeforeDefinition) {
  Graph g;
  Value* x = g.add_value("x");
  g.inputs().push_back(x);
  Value* a = g.add_value("a");
  Value* b = g.add_value("b");
  // Added in the wrong order: b = Neg(a) before a = Relu(x).
  g.add_node(OpKind::kNeg, "neg", {a}, {b});
  g.add_node(OpKind::kRelu, "relu", {x}, {a});
  g.outputs().push_back(b);
  EXPECT_THROW(g.verify(), Error);
  g.sort_topologically();
  EXPECT_NO_THROW(g.verify());
  EXPECT_EQ(g.nodes()[0]->name(), "relu");
}

TEST(Graph, CycleIsAUserError) {
  Graph g;
  Value* a = g.add_value("a");
  Value* b = g.add_value("b");
  g.add_node(OpKind::kNeg, "n1", {a}, {b});
  g.add_node(OpKind::kNeg, "n2", {b}, {a});
  g.outputs().push_back(b);
  EXPECT_THROW(g.sort_topologically(), Error);
}

TEST(Graph, ReplaceUsesRemoveAndPrune) {
  SmallGraph s;
  s.g.replace_all_uses(s.a, s.x);  // Add now reads x directly
  s.g.remove_node(s.relu);
  s.g.remove_unused_values();
  EXPECT_EQ(s.g.find_value("a"), nullptr);
  EXPECT_EQ(s.add->input(0), s.x);
  EXPECT_NO_THROW(s.g.verify());
}

TEST(Graph, ReplaceOutputMovesTheProducer) {
  SmallGraph s;
  Value* z = s.g.add_value("z");
  s.g.replace_output(*s.add, 0, z);
  EXPECT_EQ(z->producer(), s.add);
  EXPECT_EQ(s.y->producer(), nullptr);
  EXPECT_THROW(s.g.replace_output(*s.relu, 0, z), Error);
}

TEST(Graph, PrinterShowsTypesConstantsAndAttributes) {
  SmallGraph s;
  s.relu->attributes()["alpha"] = 0.5f;
  s.add->attributes()["axes"] = std::vector<std::int64_t>{1, 2};
  const std::string text = s.g.to_string();
  EXPECT_NE(text.find("input %x: float32[4]"), std::string::npos) << text;
  EXPECT_NE(text.find("%a: ? = Relu(%x) {alpha=0.5}  # relu"), std::string::npos) << text;
  EXPECT_NE(text.find("Add(%a, %c <const float32[4]>) {axes=[1,2]}"), std::string::npos) << text;
}

TEST(Node, TypedAttributesWithFallbacksAndErrors) {
  SmallGraph s;
  s.relu->attributes()["alpha"] = 0.5f;
  s.relu->attributes()["mode"] = std::string("DCR");
  EXPECT_EQ(s.relu->attr_float("alpha"), 0.5f);
  EXPECT_EQ(s.relu->attr_int("group", 1), 1);
  EXPECT_EQ(s.relu->attr_string("mode"), "DCR");
  try {
    s.relu->attr_int("alpha");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "node 'relu' (Relu): attribute 'alpha' is float, expected int");
  }
  EXPECT_THROW(s.relu->attr_ints("kernel_shape"), Error);
  EXPECT_EQ(s.relu->input(5), nullptr);
}

}  // namespace
}  // namespace kiln::ir
