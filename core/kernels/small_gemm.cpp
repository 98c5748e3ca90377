// Small matrix products without OpenBLAS (see the header for why).
//
// C is computed in blocks of 4 rows by 16 columns, each block's 64 sums held in registers (8
// AVX2 or 4 AVX-512 registers) while p runs over the inner dimension:
//   acc[r][c] += op(A)(i + r, p) · op(B)(p, j + c)
// op(B)'s 16 columns are first copied into a dense (k, 16) panel, zero-padded past n, so every
// block reads whole rows of 16 whatever B's layout and the loops have fixed lengths the compiler
// unrolls and vectorises. Rows left over (m not a multiple of 4) take blocks of one row.
#include <attograd/core/kernels/fast_math.hpp>  // ATTOGRAD_VECTOR_CLONES
#include <attograd/core/kernels/small_gemm.hpp>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace attograd::blas {

namespace {

// Eight floats as one value (GCC's and clang's vector extension): one AVX2 register, half an
// AVX-512 one, two SSE registers in the baseline build. Spelling the 4×16 block as 4×2 of these
// keeps it in registers; written as float[4][16], GCC 12 kept it in memory for row-major A.
typedef float Floats8 __attribute__((vector_size(32)));
constexpr std::size_t block_cols = 16, vectors_per_row = block_cols / 8;

struct Product {
  const float* a;
  std::size_t lda, k;
  float alpha, beta;
  float* c;
  std::size_t ldc;
};

// C's rows [i, i + R), columns [j, j + width): Σ_p op(A)(i + r, p) · panel(p, c), then alpha and beta.
template <bool TransposeA, std::size_t R>
[[gnu::always_inline]] inline void block(const Product& x, const float* panel, std::size_t i, std::size_t j,
                                         std::size_t width) {
  Floats8 acc[R][vectors_per_row] = {};
  for (std::size_t p = 0; p < x.k; ++p) {
    Floats8 b_row[vectors_per_row];  // panel row p (memcpy: vector moves, no aliasing question)
    __builtin_memcpy(b_row, panel + p * block_cols, sizeof b_row);
    for (std::size_t r = 0; r < R; ++r) {
      const float a_ip = TransposeA ? x.a[p * x.lda + i + r] : x.a[(i + r) * x.lda + p];  // op(A)(i + r, p)
      for (std::size_t v = 0; v < vectors_per_row; ++v) acc[r][v] += a_ip * b_row[v];
    }
  }
  for (std::size_t r = 0; r < R; ++r) {
    float* c_row = x.c + (i + r) * x.ldc + j;
    if (width == block_cols) {  // whole vectors (memcpy: C's rows need not be aligned)
      for (std::size_t v = 0; v < vectors_per_row; ++v) {
        Floats8 out = x.alpha * acc[r][v];
        if (x.beta != 0.0f) {  // beta = 0: C only written, whatever it held (even NaN) ignored
          Floats8 old;
          __builtin_memcpy(&old, c_row + 8 * v, sizeof old);
          out += x.beta * old;
        }
        __builtin_memcpy(c_row + 8 * v, &out, sizeof out);
      }
    } else {  // the last block of a row, cut at n
      float sums[block_cols];
      __builtin_memcpy(sums, acc[r], sizeof sums);
      for (std::size_t col = 0; col < width; ++col)
        c_row[col] = x.alpha * sums[col] + (x.beta == 0.0f ? 0.0f : x.beta * c_row[col]);
    }
  }
}

}  // namespace

ATTOGRAD_VECTOR_CLONES void small_sgemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k,
                                        float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb,
                                        float beta, float* c, std::size_t ldc) {
  if (k > small_max_depth)
    throw std::invalid_argument(
        fmt::format("small_sgemm: inner dimension k = {} is over small_max_depth = {}", k, small_max_depth));
  if (alpha == 0.0f || k == 0) {  // C = beta · C, A and B not read (as sgemm)
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  const Product x{a, lda, k, alpha, beta, c, ldc};
  alignas(64) float rows[small_max_depth * block_cols];  // the panel: op(B)(p, j + col) at rows[p · 16 + col]
  for (std::size_t j = 0; j < n; j += block_cols) {
    const std::size_t width = std::min(block_cols, n - j);
    if (width < block_cols)  // the columns past n are summed but never stored; zeroed so no garbage is read
      std::fill(rows, rows + k * block_cols, 0.0f);
    if (transpose_b) {  // B stored (n, k): column j + col of op(B) is row j + col of B
      for (std::size_t col = 0; col < width; ++col)
        for (std::size_t p = 0; p < k; ++p) rows[p * block_cols + col] = b[(j + col) * ldb + p];
    } else if (width == block_cols) {  // B stored (k, n); a fixed-size copy is two vector moves (a
      // variable one became `rep movsq`, 41 % of the time)
      for (std::size_t p = 0; p < k; ++p) __builtin_memcpy(rows + p * block_cols, b + p * ldb + j, sizeof(float) * 16);
    } else {
      for (std::size_t p = 0; p < k; ++p)
        for (std::size_t col = 0; col < width; ++col) rows[p * block_cols + col] = b[p * ldb + j + col];
    }
    std::size_t i = 0;
    if (transpose_a) {
      for (; i + 4 <= m; i += 4) block<true, 4>(x, rows, i, j, width);
      for (; i < m; ++i) block<true, 1>(x, rows, i, j, width);
    } else {
      for (; i + 4 <= m; i += 4) block<false, 4>(x, rows, i, j, width);
      for (; i < m; ++i) block<false, 1>(x, rows, i, j, width);
    }
  }
}

}  // namespace attograd::blas
