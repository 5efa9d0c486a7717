#include "kiln/kernels/reference/gemm_attributes.h"

#include "kiln/kernels/reference/spatial_attributes.h"

namespace kiln::kernels::reference {

std::int64_t MatMulParams::batch_count() const {
  std::int64_t count = 1;
  for (std::int64_t d : batch) count *= d;
  return count;
}

MatMulParams parse_matmul_params(const ir::Node& node) {
  const Shape& a = require_float32_input(node, 0, "A").shape();
  const Shape& b = require_float32_input(node, 1, "B").shape();
  if (a.rank() == 0 || b.rank() == 0) {
    throw_user_error("{}: operands {} and {} must have rank 1 or more", node.describe(),
                     a.to_string(), b.to_string());
  }
  MatMulParams p;
  p.m = a.rank() == 1 ? 1 : a[a.rank() - 2];
  p.k = a[a.rank() - 1];
  const std::int64_t b_k = b.rank() == 1 ? b[0] : b[b.rank() - 2];
  p.n = b.rank() == 1 ? 1 : b[b.rank() - 1];
  if (p.k != b_k) {
    throw_user_error("{}: A {} has {} columns but B {} has {} rows", node.describe(), a.to_string(),
                     p.k, b.to_string(), b_k);
  }
  const std::size_t a_batch_rank = a.rank() > 2 ? a.rank() - 2 : 0;
  const std::size_t b_batch_rank = b.rank() > 2 ? b.rank() - 2 : 0;
  const std::size_t batch_rank = std::max(a_batch_rank, b_batch_rank);
  p.a_batch.assign(batch_rank, 1);
  p.b_batch.assign(batch_rank, 1);
  std::copy(a.dims().begin(), a.dims().begin() + a_batch_rank,
            p.a_batch.begin() + (batch_rank - a_batch_rank));
  std::copy(b.dims().begin(), b.dims().begin() + b_batch_rank,
            p.b_batch.begin() + (batch_rank - b_batch_rank));
  p.batch.resize(batch_rank);
  for (std::size_t i = 0; i < batch_rank; ++i) {
    if (p.a_batch[i] != p.b_batch[i] && p.a_batch[i] != 1 && p.b_batch[i] != 1) {
      throw_user_error("{}: batch axes of A {} and B {} do not broadcast", node.describe(),
                       a.to_string(), b.to_string());
    }
    p.batch[i] = p.a_batch[i] == 1 ? p.b_batch[i] : p.a_batch[i];
  }
  std::vector<std::int64_t> out = p.batch;
  if (a.rank() > 1) out.push_back(p.m);
  if (b.rank() > 1) out.push_back(p.n);
  p.output_shape = Shape(std::move(out));
  return p;
}

GemmParams parse_gemm_params(const ir::Node& node) {
  const Shape& a = require_float32_input(node, 0, "A").shape();
  const Shape& b = require_float32_input(node, 1, "B").shape();
  if (a.rank() != 2 || b.rank() != 2) {
    throw_user_error("{}: A {} and B {} must both be matrices (rank 2)", node.describe(),
                     a.to_string(), b.to_string());
  }
  GemmParams p;
  p.trans_a = node.attr_int("transA", 0) != 0;
  p.trans_b = node.attr_int("transB", 0) != 0;
  p.alpha = node.attr_float("alpha", 1.f);
  p.beta = node.attr_float("beta", 1.f);
  p.m = p.trans_a ? a[1] : a[0];
  p.k = p.trans_a ? a[0] : a[1];
  const std::int64_t b_k = p.trans_b ? b[1] : b[0];
  p.n = p.trans_b ? b[0] : b[1];
  if (p.k != b_k) {
    throw_user_error("{}: A {} (transA={}) gives K = {} but B {} (transB={}) gives K = {}",
                     node.describe(), a.to_string(), p.trans_a ? 1 : 0, p.k, b.to_string(),
                     p.trans_b ? 1 : 0, b_k);
  }
  if (node.input(2) != nullptr) {
    const Shape& c = require_float32_input(node, 2, "C").shape();
    if (c.rank() > 2) {
      throw_user_error("{}: C {} has rank above 2", node.describe(), c.to_string());
    }
    p.has_c = true;
    p.c_rows = c.rank() == 2 ? c[0] : 1;
    p.c_cols = c.rank() >= 1 ? c[c.rank() - 1] : 1;
    if ((p.c_rows != 1 && p.c_rows != p.m) || (p.c_cols != 1 && p.c_cols != p.n)) {
      throw_user_error("{}: C {} does not broadcast to the output [{},{}]", node.describe(),
                       c.to_string(), p.m, p.n);
    }
  }
  return p;
}

}  // namespace kiln::kernels::reference
