// blas::sgemm and blas::gemm (its form on matrix views) against a double-precision triple loop:
// every transpose combination, alpha and beta, padded row strides, and BLAS's beta = 0 contract.
#include <cmath>
#include <limits>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <attograd/core/kernels/blas.hpp>
#include <attograd/core/kernels/small_gemm.hpp>
#include <attograd/core/random.hpp>

using namespace attograd;

namespace {

struct Case {
  bool ta, tb;
  std::size_t m, n, k;
  float alpha, beta;
  std::size_t c_padding = 1;  // C's row stride is n + c_padding
};

// Row-major storage of op(X) (rows × cols) as X itself is stored: transposed or not, with a
// row stride two wider than needed so that the strides are exercised.
struct Stored {
  std::vector<float> data;
  std::size_t ld;
  bool transposed;
  float at(std::size_t r, std::size_t c) const { return transposed ? data[c * ld + r] : data[r * ld + c]; }
};

Stored random_stored(std::size_t rows, std::size_t cols, bool transposed, Generator& gen) {
  const std::size_t stored_rows = transposed ? cols : rows, stored_cols = transposed ? rows : cols;
  Stored s{std::vector<float>(stored_rows * (stored_cols + 2)), stored_cols + 2, transposed};
  for (float& x : s.data) x = static_cast<float>(gen.uniform()) * 2.0f - 1.0f;
  return s;
}

// Runs `gemm` on one case and compares with the exact result.
template <class Gemm>
void check_case(const Case& t, Gemm gemm) {
  Generator gen(7);
  const Stored a = random_stored(t.m, t.k, t.ta, gen), b = random_stored(t.k, t.n, t.tb, gen);
  const std::size_t ldc = t.n + t.c_padding;
  std::vector<float> c(t.m * ldc);
  for (float& x : c) x = static_cast<float>(gen.uniform());
  if (t.beta == 0.0f && t.m * t.n > 0)  // must not be read: the first and the last element of C
    c[0] = c[(t.m - 1) * ldc + t.n - 1] = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> c_before = c;
  gemm(t.ta, t.tb, t.m, t.n, t.k, t.alpha, a.data.data(), a.ld, b.data.data(), b.ld, t.beta, c.data(), ldc);
  for (std::size_t i = 0; i < t.m; ++i) {
    for (std::size_t j = 0; j < ldc; ++j) {
      if (j >= t.n) {  // padding between rows is left alone
        CHECK(c[i * ldc + j] == c_before[i * ldc + j]);
        continue;
      }
      double want = t.beta == 0.0f ? 0.0 : double{t.beta} * c_before[i * ldc + j];
      for (std::size_t p = 0; p < t.k; ++p) want += double{t.alpha} * a.at(i, p) * b.at(p, j);
      INFO("ta " << t.ta << " tb " << t.tb << " m " << t.m << " n " << t.n << " k " << t.k << " alpha " << t.alpha
                 << " beta " << t.beta << " at (" << i << ", " << j << ")");
      CHECK(c[i * ldc + j] == Approx(want).margin(1e-5).epsilon(1e-5));
    }
  }
}

std::vector<Case> cases(std::size_t m, std::size_t n, std::size_t k) {
  std::vector<Case> all;
  for (const bool ta : {false, true})
    for (const bool tb : {false, true})
      for (const auto& [alpha, beta] : {std::pair{1.0f, 0.0f}, {1.0f, 1.0f}, {0.5f, -2.0f}})
        all.push_back({ta, tb, m, n, k, alpha, beta});
  return all;
}

}  // namespace

TEST_CASE("sgemm computes alpha op(A) op(B) + beta C for every transpose combination") {
  for (const auto& [m, n, k] :
       std::vector<std::array<std::size_t, 3>>{{1, 1, 1}, {3, 17, 5}, {16, 32, 16}, {5, 2, 0}, {17, 33, 65}})
    for (const Case& c : cases(m, n, k)) check_case(c, blas::sgemm);
}

TEST_CASE("sgemm with beta = 0 overwrites C whether its rows are packed or padded") {
  // blas.cpp zeroes C itself and adds the product onto it (faster than OpenBLAS's own zeroing):
  // in one go when C's rows are packed (ldc = n), row by row past the padding when not.
  for (const std::size_t padding : {0, 1, 7})
    for (const auto& [m, n, k] : std::vector<std::array<std::size_t, 3>>{{3, 17, 5}, {16, 32, 16}, {5, 2, 0}})
      for (const bool ta : {false, true})
        for (const bool tb : {false, true}) check_case({ta, tb, m, n, k, 1.0f, 0.0f, padding}, blas::sgemm);
}

TEST_CASE("sgemm with one row or one column of C (a matrix-vector product) agrees, strides and beta = 0 included") {
  // m = 1 or n = 1 runs as sgemv (blas.cpp), reading op(A)'s row or op(B)'s column with the stride
  // its storage gives; C's row padding and, for n = 1, the elements between its rows stay untouched.
  for (const auto& [m, n, k] : std::vector<std::array<std::size_t, 3>>{
           {1, 17, 5}, {1, 300, 129}, {17, 1, 5}, {300, 1, 129}, {1, 1, 7}, {1, 5, 0}, {4, 1, 0}})
    for (const Case& c : cases(m, n, k)) check_case(c, blas::sgemm);
}

TEST_CASE("sgemm cut into slices over the thread pool gives the same product, by rows and by columns") {
  // Both are above the size where a product is split (m·n·k >= 2^20, blas.cpp), with
  // the split side not a multiple of the 16-row blocks. On a one-core machine they run whole.
  INFO("threads: " << blas::threads_here());
  for (const auto& [m, n, k] : std::vector<std::array<std::size_t, 3>>{{150, 70, 101}, {70, 150, 101}})
    for (const Case& c : cases(m, n, k)) check_case(c, blas::sgemm);
}

TEST_CASE("small products (small_gemm.cpp) agree at every edge of its 4 × 16 blocks, on both sides of the line") {
  // Rows not a multiple of 8 or 4 (blocks of one row), columns not a multiple of 16 (a
  // zero-padded panel, a cut last block), every transpose, alpha and beta, through each of
  // small_sgemm's loops this CPU can run (AVX-512, AVX2, baseline).
  for (const blas::SmallKernel kernel :
       {blas::SmallKernel::avx512, blas::SmallKernel::avx2, blas::SmallKernel::baseline}) {
    if (!blas::small_kernel_runs_here(kernel)) continue;
    INFO("kernel " << static_cast<int>(kernel));
    const auto small = [kernel](auto... args) { blas::small_sgemm_using(kernel, args...); };
    for (const std::size_t m : {2, 3, 4, 5, 8, 9, 17})
      for (const std::size_t n : {2, 15, 16, 17, 33})
        for (const std::size_t k : {1, 16})
          for (const Case& c : cases(m, n, k)) check_case(c, small);
    for (const Case& c : cases(3, 17, 0)) check_case(c, small);
  }
  CHECK(blas::small_kernel_runs_here(blas::SmallKernel::baseline));
  // sgemm sends m·n·k up to small_product with k up to small_max_depth here, the rest to OpenBLAS.
  const std::size_t line_k = blas::small_product / (64 * 64), depth = blas::small_max_depth;
  for (const auto& [m, n, k] : std::vector<std::array<std::size_t, 3>>{
           {64, 64, line_k}, {64, 64, line_k + 1}, {2, 2, depth}, {2, 2, depth + 1}, {65, 17, 33}, {6, 40, 250}})
    for (const Case& c : cases(m, n, k)) check_case(c, blas::sgemm);
}

TEST_CASE("small_sgemm with alpha = 0 does not read A or B, and refuses an inner dimension over its panel") {
  for (const blas::SmallKernel kernel : {blas::SmallKernel::avx512, blas::SmallKernel::avx2})
    if (!blas::small_kernel_runs_here(kernel))
      CHECK_THROWS_WITH(
          blas::small_sgemm_using(kernel, false, false, 1, 1, 1, 1.0f, nullptr, 1, nullptr, 1, 0.0f, nullptr, 1),
          "small_sgemm: this CPU cannot run the loops asked for");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> a(6, nan), b(6, nan), c{1, 2, 3, 4};
  blas::small_sgemm(false, false, 2, 2, 3, 0.0f, a.data(), 3, b.data(), 2, 0.5f, c.data(), 2);
  CHECK(c == std::vector<float>{0.5f, 1.0f, 1.5f, 2.0f});
  blas::small_sgemm(false, false, 2, 2, 3, 0.0f, a.data(), 3, b.data(), 2, 0.0f, c.data(), 2);
  CHECK(c == std::vector<float>{0, 0, 0, 0});
  const std::size_t k = blas::small_max_depth + 1;
  std::vector<float> long_a(2 * k), long_b(k * 2);
  CHECK_THROWS_WITH(
      blas::small_sgemm(false, false, 2, 2, k, 1.0f, long_a.data(), k, long_b.data(), 2, 0.0f, c.data(), 2),
      fmt::format("small_sgemm: inner dimension k = {} is over small_max_depth = {}", k, k - 1));
}

namespace {
// Element (i, j) of the matrix a view stands for, read the way the view says.
float element(const blas::ConstMatrix& x, std::size_t i, std::size_t j) {
  return x.transposed ? x.data[j * x.ld + i] : x.data[i * x.ld + j];
}
}  // namespace

TEST_CASE("gemm multiplies strided sub-views like a triple loop, for every transpose combination") {
  // C (4, 5) = 0.5 · A (4, 3) · B (3, 5) + 2 · C, each operand a block inside a larger buffer of
  // row stride 11, starting at row 1, column 2; A and B stored as themselves or as their
  // transposes, viewed through T().
  const std::size_t m = 4, k = 3, n = 5, ld = 11, first_row = 1, first_col = 2;
  const std::size_t offset = first_row * ld + first_col;
  Generator gen(11);
  const auto buffer = [&] {
    std::vector<float> x(8 * ld);
    for (float& e : x) e = static_cast<float>(gen.uniform()) * 2.0f - 1.0f;
    return x;
  };
  for (const bool ta : {false, true}) {
    for (const bool tb : {false, true}) {
      INFO("a transposed " << ta << ", b transposed " << tb);
      const std::vector<float> a_memory = buffer(), b_memory = buffer(), c_before = buffer();
      std::vector<float> c_memory = c_before;
      const blas::ConstMatrix a = ta ? blas::ConstMatrix{a_memory.data() + offset, k, m, ld}.T()
                                     : blas::ConstMatrix{a_memory.data() + offset, m, k, ld};
      const blas::ConstMatrix b = tb ? blas::ConstMatrix{b_memory.data() + offset, n, k, ld}.T()
                                     : blas::ConstMatrix{b_memory.data() + offset, k, n, ld};
      REQUIRE((a.rows == m && a.cols == k && b.rows == k && b.cols == n));
      blas::gemm({c_memory.data() + offset, m, n, ld}, a, b, 0.5f, 2.0f);
      for (std::size_t at = 0; at < c_memory.size(); ++at) {
        const std::size_t row = at / ld, col = at % ld;
        if (row < first_row || row >= first_row + m || col < first_col || col >= first_col + n) {
          CHECK(c_memory[at] == c_before[at]);  // outside the view: untouched
          continue;
        }
        const std::size_t i = row - first_row, j = col - first_col;
        double want = 2.0 * c_before[at];
        for (std::size_t p = 0; p < k; ++p) want += 0.5 * element(a, i, p) * element(b, p, j);
        INFO("at (" << i << ", " << j << ")");
        CHECK(c_memory[at] == Approx(want).margin(1e-6).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("gemm names the shapes when they do not agree") {
  std::vector<float> x(64);
  const blas::Matrix a{x.data(), 3, 2, 2}, b{x.data(), 3, 4, 4}, c{x.data(), 3, 4, 4};
  CHECK(a.T().rows == 2);
  CHECK(a.T().T().transposed == false);
  CHECK_THROWS_AS(blas::gemm(c, a, b), std::invalid_argument);
  CHECK_THROWS_WITH(blas::gemm(c, a, b), "gemm: cannot multiply (3, 2) by (3, 4): inner dimensions 2 and 3 differ");
  CHECK_THROWS_WITH(blas::gemm(c, a.T(), b), "gemm: (3, 2)ᵀ times (3, 4) is (2, 4), but the result is (3, 4)");
  CHECK_THROWS_WITH(blas::gemm(blas::Matrix{x.data(), 4, 2, 4}.T(), a.T(), b),
                    "gemm: (3, 2)ᵀ times (3, 4) is (2, 4), but the result is (4, 2)ᵀ");
  CHECK_THROWS_WITH(blas::gemm(blas::Matrix{x.data(), 2, 4, 3}, a.T(), b),
                    "gemm: the result (2, 4) has row stride 3, shorter than its stored rows of 4");
  CHECK_THROWS_WITH(blas::gemm(blas::Matrix{x.data(), 3, 2, 2}, a, blas::Matrix{x.data(), 2, 3, 3}.T()),
                    "gemm: cannot multiply (3, 2) by (2, 3)ᵀ: inner dimensions 2 and 3 differ");
}
