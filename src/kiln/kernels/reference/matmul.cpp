// Reference MatMul (numpy semantics, broadcast batch axes) and Gemm (alpha, beta, transA,
// transB, C broadcast), both built on one strided row-tile product.

#include <algorithm>

#include "kiln/kernels/reference/elementwise_common.h"
#include "kiln/kernels/reference/families.h"
#include "kiln/kernels/reference/gemm_attributes.h"

namespace kiln::kernels::reference {

namespace {

// A matrix view: element (r, c) is data[r * row_stride + c * col_stride].
struct MatrixView {
  const float* data;
  std::int64_t row_stride;
  std::int64_t col_stride;

  float at(std::int64_t r, std::int64_t c) const { return data[r * row_stride + c * col_stride]; }
};

// Rows a tile at a time share each row of B, so B streams from memory once per tile, not once
// per row.
constexpr std::int64_t kRowTile = 4;

// out[m, :] = A[m, :] * B for m in [m_begin, m_end) (at most kRowTile rows); out rows are
// contiguous with `n` elements each.
void multiply_rows(MatrixView a, MatrixView b, float* out, std::int64_t m_begin, std::int64_t m_end,
                   std::int64_t k, std::int64_t n) {
  if (b.col_stride == 1) {
    std::fill(out + m_begin * n, out + m_end * n, 0.f);
    for (std::int64_t kk = 0; kk < k; ++kk) {
      const float* b_row = b.data + kk * b.row_stride;
      for (std::int64_t m = m_begin; m < m_end; ++m) {
        const float a_value = a.at(m, kk);
        float* out_row = out + m * n;
        for (std::int64_t j = 0; j < n; ++j) out_row[j] += a_value * b_row[j];
      }
    }
    return;
  }
  // B is transposed (columns contiguous): a dot product per output element.
  for (std::int64_t m = m_begin; m < m_end; ++m) {
    for (std::int64_t j = 0; j < n; ++j) {
      float acc = 0.f;
      for (std::int64_t kk = 0; kk < k; ++kk) acc += a.at(m, kk) * b.at(kk, j);
      out[m * n + j] = acc;
    }
  }
}

class MatMulKernel final : public Kernel {
 public:
  MatMulKernel(MatMulParams params, int threads) : p_(std::move(params)), threads_(threads) {
    // Offsets of each output batch's A and B matrices, broadcast axes contributing nothing.
    const std::size_t rank = p_.batch.size();
    const std::int64_t count = p_.batch_count();
    a_offsets_.resize(count);
    b_offsets_.resize(count);
    for (std::int64_t i = 0; i < count; ++i) {
      std::int64_t rest = i;
      std::int64_t a_offset = 0, b_offset = 0, a_stride = p_.m * p_.k, b_stride = p_.k * p_.n;
      for (std::size_t axis = rank; axis-- > 0;) {
        const std::int64_t index = rest % p_.batch[axis];
        rest /= p_.batch[axis];
        if (p_.a_batch[axis] != 1) a_offset += index * a_stride;
        if (p_.b_batch[axis] != 1) b_offset += index * b_stride;
        a_stride *= p_.a_batch[axis];
        b_stride *= p_.b_batch[axis];
      }
      a_offsets_[i] = a_offset;
      b_offsets_[i] = b_offset;
    }
  }

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const float* a = inputs[0].data<float>();
    const float* b = inputs[1].data<float>();
    float* dst = outputs[0].data<float>();
    const std::int64_t count = p_.batch_count();
    const std::int64_t tiles = (p_.m + kRowTile - 1) / kRowTile;
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads_)
    for (std::int64_t batch = 0; batch < count; ++batch) {
      for (std::int64_t tile = 0; tile < tiles; ++tile) {
        const std::int64_t m_begin = tile * kRowTile;
        multiply_rows({a + a_offsets_[batch], p_.k, 1}, {b + b_offsets_[batch], p_.n, 1},
                      dst + batch * p_.m * p_.n, m_begin, std::min(p_.m, m_begin + kRowTile), p_.k,
                      p_.n);
      }
    }
  }

  std::string implementation() const override {
    return "reference";
  }

 private:
  MatMulParams p_;
  int threads_;
  std::vector<std::int64_t> a_offsets_;
  std::vector<std::int64_t> b_offsets_;
};

class GemmKernel final : public Kernel {
 public:
  GemmKernel(GemmParams params, int threads) : p_(params), threads_(threads) {}

  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    const MatrixView a = p_.trans_a ? MatrixView{inputs[0].data<float>(), 1, p_.m}
                                    : MatrixView{inputs[0].data<float>(), p_.k, 1};
    const MatrixView b = p_.trans_b ? MatrixView{inputs[1].data<float>(), 1, p_.k}
                                    : MatrixView{inputs[1].data<float>(), p_.n, 1};
    // A broadcast axis of C has stride 0.
    const float* c = p_.has_c ? inputs[2].data<float>() : nullptr;
    const std::int64_t c_row_stride = p_.c_rows == 1 ? 0 : p_.c_cols;
    const std::int64_t c_col_stride = p_.c_cols == 1 ? 0 : 1;
    float* dst = outputs[0].data<float>();
    const std::int64_t tiles = (p_.m + kRowTile - 1) / kRowTile;
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (std::int64_t tile = 0; tile < tiles; ++tile) {
      const std::int64_t m_begin = tile * kRowTile;
      const std::int64_t m_end = std::min(p_.m, m_begin + kRowTile);
      multiply_rows(a, b, dst, m_begin, m_end, p_.k, p_.n);
      for (std::int64_t m = m_begin; m < m_end; ++m) {
        float* out_row = dst + m * p_.n;
        for (std::int64_t j = 0; j < p_.n; ++j) {
          const float bias = c != nullptr ? p_.beta * c[m * c_row_stride + j * c_col_stride] : 0.f;
          out_row[j] = p_.alpha * out_row[j] + bias;
        }
      }
    }
  }

  std::string implementation() const override {
    return "reference";
  }

 private:
  GemmParams p_;
  int threads_;
};

std::vector<ValueType> infer_matmul(const ir::Node& node) {
  return {{DType::kFloat32, parse_matmul_params(node).output_shape}};
}

std::vector<ValueType> infer_gemm(const ir::Node& node) {
  const GemmParams p = parse_gemm_params(node);
  return {{DType::kFloat32, Shape{p.m, p.n}}};
}

std::unique_ptr<Kernel> make_matmul(const ir::Node& node, const KernelOptions& options,
                                    std::string&) {
  return std::make_unique<MatMulKernel>(parse_matmul_params(node), kernel_threads(options));
}

std::unique_ptr<Kernel> make_gemm(const ir::Node& node, const KernelOptions& options,
                                  std::string&) {
  return std::make_unique<GemmKernel>(parse_gemm_params(node), kernel_threads(options));
}

}  // namespace

void define_matmul_ops(OpDefinitionTable& table) {
  table[static_cast<std::size_t>(ir::OpKind::kGemm)] = {infer_gemm, make_gemm};
  table[static_cast<std::size_t>(ir::OpKind::kMatMul)] = {infer_matmul, make_matmul};
}

}  // namespace kiln::kernels::reference
