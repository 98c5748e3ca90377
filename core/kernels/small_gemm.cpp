// Small matrix products without OpenBLAS (see the header for why).
//
// C is computed in blocks of rows by 16 columns, each block's sums held in registers while p
// runs over the inner dimension:
//   acc[r][c] += op(A)(i + r, p) · op(B)(p, j + c)
// With AVX-512 a block is 8 rows of one 16-float vector, with AVX2 (and the baseline) 4 rows of
// two 8-float vectors: 8 independent sums either way, enough to keep both FMA units busy through
// their latency. The AVX-512 build is 30–40 % faster where the CPU has full-width units (64×32×64:
// 2.3 µs against 3.3 on the AMD EPYC this was measured on).
// op(B)'s 16 columns are first copied into a dense (k, 16) panel, zero-padded past n, so every
// block reads whole rows of 16 whatever B's layout and the loops have fixed lengths the compiler
// unrolls and vectorises. Rows left over (m not a multiple of 8 or 4) take blocks of one row.
#include <attograd/core/kernels/small_gemm.hpp>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace attograd::blas {

namespace {

// Eight or sixteen floats as one value (GCC's and clang's vector extension): one AVX2 or AVX-512
// register (two or four SSE registers in the baseline build). Spelt with these the block stays in
// registers; written as float[4][16], GCC 12 kept it in memory for a row-major A (3 GFLOP/s).
typedef float Floats8 __attribute__((vector_size(32)));
typedef float Floats16 __attribute__((vector_size(64)));
constexpr std::size_t block_cols = 16;

// sgemm's arguments, as small_sgemm was called.
struct Product {
  bool transpose_a, transpose_b;
  std::size_t m, n, k;
  float alpha;
  const float* a;
  std::size_t lda;
  const float* b;
  std::size_t ldb;
  float beta;
  float* c;
  std::size_t ldc;
};

// C's rows [i, i + R), columns [j, j + width): Σ_p op(A)(i + r, p) · panel(p, c), then alpha and beta.
template <class Vec, bool TransposeA, std::size_t R>
[[gnu::always_inline]] inline void block(const Product& x, const float* panel, std::size_t i, std::size_t j,
                                         std::size_t width) {
  constexpr std::size_t vectors_per_row = block_cols / (sizeof(Vec) / sizeof(float)), lanes = sizeof(Vec) / 4;
  Vec acc[R][vectors_per_row] = {};
  for (std::size_t p = 0; p < x.k; ++p) {
    Vec b_row[vectors_per_row];  // panel row p (memcpy: vector moves, no aliasing question)
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
        Vec out = x.alpha * acc[r][v];
        if (x.beta != 0.0f) {  // beta = 0: C only written, whatever it held (even NaN) ignored
          Vec old;
          __builtin_memcpy(&old, c_row + lanes * v, sizeof old);
          out += x.beta * old;
        }
        __builtin_memcpy(c_row + lanes * v, &out, sizeof out);
      }
    } else {  // the last block of a row, cut at n
      float sums[block_cols];
      __builtin_memcpy(sums, acc[r], sizeof sums);
      for (std::size_t col = 0; col < width; ++col)
        c_row[col] = x.alpha * sums[col] + (x.beta == 0.0f ? 0.0f : x.beta * c_row[col]);
    }
  }
}

// The whole product, in blocks of R rows by 16 columns held in vectors Vec.
template <class Vec, std::size_t R>
[[gnu::always_inline]] inline void run(const Product& x) {
  alignas(64) float rows[small_max_depth * block_cols];  // the panel: op(B)(p, j + col) at rows[p · 16 + col]
  for (std::size_t j = 0; j < x.n; j += block_cols) {
    const std::size_t width = std::min(block_cols, x.n - j);
    if (width < block_cols)  // the columns past n are summed but never stored; zeroed so no garbage is read
      std::fill(rows, rows + x.k * block_cols, 0.0f);
    if (x.transpose_b) {  // B stored (n, k): column j + col of op(B) is row j + col of B
      for (std::size_t col = 0; col < width; ++col)
        for (std::size_t p = 0; p < x.k; ++p) rows[p * block_cols + col] = x.b[(j + col) * x.ldb + p];
    } else if (width == block_cols) {  // B stored (k, n); a fixed-size copy is two vector moves (a
      // variable one became `rep movsq`, 41 % of the time)
      for (std::size_t p = 0; p < x.k; ++p)
        __builtin_memcpy(rows + p * block_cols, x.b + p * x.ldb + j, sizeof(float) * 16);
    } else {
      for (std::size_t p = 0; p < x.k; ++p)
        for (std::size_t col = 0; col < width; ++col) rows[p * block_cols + col] = x.b[p * x.ldb + j + col];
    }
    std::size_t i = 0;
    if (x.transpose_a) {
      for (; i + R <= x.m; i += R) block<Vec, true, R>(x, rows, i, j, width);
      for (; i < x.m; ++i) block<Vec, true, 1>(x, rows, i, j, width);
    } else {
      for (; i + R <= x.m; i += R) block<Vec, false, R>(x, rows, i, j, width);
      for (; i < x.m; ++i) block<Vec, false, 1>(x, rows, i, j, width);
    }
  }
}

// The loops compiled for each instruction set (GCC's target attribute), picked once by the CPU.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ATTOGRAD_PER_TARGET 1
[[gnu::target("arch=x86-64-v4")]] void run_avx512(const Product& x) { run<Floats16, 8>(x); }
[[gnu::target("arch=x86-64-v3")]] void run_avx2(const Product& x) { run<Floats8, 4>(x); }
#endif
void run_baseline(const Product& x) { run<Floats8, 4>(x); }

}  // namespace

bool small_kernel_runs_here(SmallKernel kernel) {
#ifdef ATTOGRAD_PER_TARGET
  if (kernel == SmallKernel::avx512) return __builtin_cpu_supports("avx512f");
  if (kernel == SmallKernel::avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return kernel == SmallKernel::baseline;
}

void small_sgemm_using(SmallKernel kernel, bool transpose_a, bool transpose_b, std::size_t m, std::size_t n,
                       std::size_t k, float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb,
                       float beta, float* c, std::size_t ldc) {
  if (k > small_max_depth)
    throw std::invalid_argument(
        fmt::format("small_sgemm: inner dimension k = {} is over small_max_depth = {}", k, small_max_depth));
  if (!small_kernel_runs_here(kernel))
    throw std::invalid_argument(fmt::format("small_sgemm: this CPU cannot run the {} loops",
                                            kernel == SmallKernel::avx512 ? "AVX-512" : "AVX2"));
  if (alpha == 0.0f || k == 0) {  // C = beta · C, A and B not read (as sgemm)
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  const Product x{transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc};
#ifdef ATTOGRAD_PER_TARGET
  if (kernel == SmallKernel::avx512) return run_avx512(x);
  if (kernel == SmallKernel::avx2) return run_avx2(x);
#endif
  run_baseline(x);
}

void small_sgemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
                 const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta, float* c,
                 std::size_t ldc) {
  static const SmallKernel widest = small_kernel_runs_here(SmallKernel::avx512) ? SmallKernel::avx512
                                    : small_kernel_runs_here(SmallKernel::avx2) ? SmallKernel::avx2
                                                                                : SmallKernel::baseline;
  small_sgemm_using(widest, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace attograd::blas
