// OpenBLAS behind attograd::blas (see blas.hpp): the library's one file that includes <cblas.h>.
#include <attograd/core/kernels/blas.hpp>
#include <attograd/core/kernels/parallel.hpp>
#include <attograd/core/kernels/small_gemm.hpp>
#include <attograd/core/profiler.hpp>

#include <cblas.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include <fmt/format.h>

namespace attograd::blas {

namespace {
std::atomic<std::uint64_t> total_flops{0};  // gemm_flops_total(); relaxed: a counter, not a lock

// A product with one row (or one column) of C is a matrix-vector product: sgemm would first pack
// all of the other operand (measured: 35 % of a generated token's time in OpenBLAS's packing), sgemv
// reads it once. One row is what a decoder computes per position when it runs one sequence.
// C is zeroed first where beta is 0, so whatever it held (even NaN) is ignored, as sgemm ignores it.
bool matrix_vector(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
                   const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta, float* c,
                   std::size_t ldc) {
  if (k == 0 || (m != 1 && n != 1)) return false;
  const auto i = [](std::size_t x) { return static_cast<blasint>(x); };
  // m == 1: c (1, n) = a (1, k) op(B) (k, n), i.e. y = op(B)ᵀ x with x a's row (elements lda apart
  // when A is stored as a column).
  if (m == 1) {
    if (beta == 0.0f) std::fill(c, c + n, 0.0f);
    const blasint x_step = transpose_a ? i(lda) : 1;
    if (transpose_b)  // B stored (n, k)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, i(n), i(k), alpha, b, i(ldb), a, x_step, beta, c, 1);
    else  // B stored (k, n)
      cblas_sgemv(CblasRowMajor, CblasTrans, i(k), i(n), alpha, b, i(ldb), a, x_step, beta, c, 1);
    return true;
  }
  // n == 1: c (m, 1) = op(A) (m, k) b (k, 1); c's elements ldc apart
  for (std::size_t r = 0; beta == 0.0f && r < m; ++r) c[r * ldc] = 0.0f;
  const blasint x_step = transpose_b ? 1 : i(ldb);
  if (transpose_a)  // A stored (k, m)
    cblas_sgemv(CblasRowMajor, CblasTrans, i(k), i(m), alpha, a, i(lda), b, x_step, beta, c, i(ldc));
  else  // A stored (m, k)
    cblas_sgemv(CblasRowMajor, CblasNoTrans, i(m), i(k), alpha, a, i(lda), b, x_step, beta, c, i(ldc));
  return true;
}

// SkylakeX's kernels and their successors' (Cooperlake, SapphireRapids) have their own path for
// small products, which skips OpenBLAS's buffers (16×32×16 in 0.11 µs with Cooperlake's against
// small_sgemm's 0.21 and Haswell's 0.37, same CPU); other families (Haswell, Zen) have none, and
// there small_sgemm runs them.
bool openblas_has_small_path() {
  static const bool has = [] {
    const std::string_view k = openblas_get_corename();
    return k == "SkylakeX" || k == "Cooperlake" || k == "SapphireRapids";
  }();
  return has;
}

void raw_sgemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
               const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta, float* c,
               std::size_t ldc) {
  if (matrix_vector(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) return;
  if (m * n * k <= small_product && k <= small_max_depth && !openblas_has_small_path()) {  // see small_gemm.hpp
    small_sgemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // For beta = 0, OpenBLAS first zeroes C with its own loop (sgemm_beta, 6 % of the mha workload's
  // samples); memset and then adding the product onto the zeros (beta = 1) gives the same bits and
  // is faster: 5.3 -> 4.3 us for a 64×64×32 head's scores, 105 -> 97 us for 256×128×128.
  if (beta == 0.0f) {
    if (ldc == n)
      std::fill(c, c + m * n, 0.0f);
    else
      for (std::size_t r = 0; r < m; ++r) std::fill(c + r * ldc, c + r * ldc + n, 0.0f);
    beta = 1.0f;
  }
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda == 0 ? 1 : lda), b, static_cast<blasint>(ldb == 0 ? 1 : ldb), beta, c,
              static_cast<blasint>(ldc));
}
}  // namespace

double gemm_flops_total() { return static_cast<double>(total_flops.load(std::memory_order_relaxed)); }

// OpenBLAS runs on one thread from the first call on; the threads it would have used become
// attograd's pool (parallel.cpp), which also runs the halves of large products below.
std::size_t max_threads() {
  static const std::size_t threads = [] {
    const int n = openblas_get_num_threads();  // OPENBLAS_NUM_THREADS, else the cores
    openblas_set_num_threads(1);
    return static_cast<std::size_t>(std::max(1, n));
  }();
  return threads;
}

std::size_t threads_here() { return in_parallel_part() ? 1 : max_threads(); }

void sgemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
           std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
  if (m == 0 || n == 0) return;
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  profiler::add_flops(flops);
  total_flops.fetch_add(static_cast<std::uint64_t>(flops), std::memory_order_relaxed);
  const std::size_t threads = threads_here();
  // A product runs whole on the calling thread inside a parallel_for part (threads_here() is 1
  // there: the pool is busy with the parts) and below 2^20 multiply-adds, where splitting did not
  // pay when it was measured (docs/performance.md, "One thread where two lose").
  if (threads == 1 || m * n * k < split_from) {
    raw_sgemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // The longer side of C is cut into blocks of 16 rows (or columns), shared out over the pool;
  // each thread multiplies its slice of op(A) (or op(B)) by the whole of the other operand.
  constexpr std::size_t block = 16;
  const bool by_rows = m >= n;
  const std::size_t length = by_rows ? m : n, blocks = (length + block - 1) / block;
  parallel_for(blocks, std::min(blocks, threads), [&](std::size_t, std::size_t begin, std::size_t end) {
    const std::size_t from = begin * block, to = std::min(length, end * block);
    if (by_rows) {  // rows [from, to) of op(A) and of C
      const float* a_rows = a + (transpose_a ? from : from * lda);
      raw_sgemm(transpose_a, transpose_b, to - from, n, k, alpha, a_rows, lda, b, ldb, beta, c + from * ldc, ldc);
    } else {  // columns [from, to) of op(B) and of C
      const float* b_cols = b + (transpose_b ? from * ldb : from);
      raw_sgemm(transpose_a, transpose_b, m, to - from, k, alpha, a, lda, b_cols, ldb, beta, c + from, ldc);
    }
  });
}

namespace {
// "(3, 2)", or "(2, 3)ᵀ" for the transpose of a (2, 3) matrix as stored.
std::string shape_of(const ConstMatrix& x) {
  return x.transposed ? fmt::format("({}, {})ᵀ", x.cols, x.rows) : fmt::format("({}, {})", x.rows, x.cols);
}

void check_stride(const ConstMatrix& x, const char* name) {
  const std::size_t stored_cols = x.transposed ? x.rows : x.cols;
  if (x.ld < stored_cols)
    throw std::invalid_argument(fmt::format("gemm: {} {} has row stride {}, shorter than its stored rows of {}", name,
                                            shape_of(x), x.ld, stored_cols));
}
}  // namespace

void gemm(Matrix c, ConstMatrix a, ConstMatrix b, float alpha, float beta) {
  if (a.cols != b.rows)
    throw std::invalid_argument(fmt::format("gemm: cannot multiply {} by {}: inner dimensions {} and {} differ",
                                            shape_of(a), shape_of(b), a.cols, b.rows));
  if (c.rows != a.rows || c.cols != b.cols || c.transposed)
    throw std::invalid_argument(fmt::format("gemm: {} times {} is ({}, {}), but the result is {}", shape_of(a),
                                            shape_of(b), a.rows, b.cols, shape_of(c)));
  check_stride(a, "a");
  check_stride(b, "b");
  check_stride(c, "the result");
  sgemm(a.transposed, b.transposed, c.rows, c.cols, a.cols, alpha, a.data, a.ld, b.data, b.ld, beta, c.data, c.ld);
}

const char* kernel_name() { return openblas_get_corename(); }

}  // namespace attograd::blas
