// blas::small_sgemm: C = alpha · op(A) · op(B) + beta · C for products too small for OpenBLAS
// to pay off. Each row of C is built in place: with B as stored (not transposed) by adding
// a(i, p) · (row p of B) for every p, vectorised along the row; with Bᵀ, each c(i, j) is a dot
// product of two contiguous rows. Compiled per instruction set like fast_math.cpp.
#include <attograd/core/blas.hpp>
#include <attograd/core/fast_math.hpp>

namespace attograd::blas {

ATTOGRAD_VECTOR_CLONES void small_sgemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k,
                                        float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb,
                                        float beta, float* c, std::size_t ldc) {
  // op(A)(i, p) and op(B)(p, j) as stored.
  auto a_at = [=](std::size_t i, std::size_t p) { return transpose_a ? a[p * lda + i] : a[i * lda + p]; };
  for (std::size_t i = 0; i < m; ++i) {
    float* __restrict__ c_row = c + i * ldc;
    if (beta == 0.0f) {  // BLAS semantics: C is not read, so NaNs in it do not propagate
      for (std::size_t j = 0; j < n; ++j) c_row[j] = 0.0f;
    } else if (beta != 1.0f) {
      for (std::size_t j = 0; j < n; ++j) c_row[j] *= beta;
    }
    if (!transpose_b) {
      for (std::size_t p = 0; p < k; ++p) {
        const float a_ip = alpha * a_at(i, p);
        const float* __restrict__ b_row = b + p * ldb;
        for (std::size_t j = 0; j < n; ++j) c_row[j] += a_ip * b_row[j];
      }
    } else if (!transpose_a) {
      for (std::size_t j = 0; j < n; ++j) c_row[j] += alpha * fast::dot(a + i * lda, b + j * ldb, k);
    } else {
      for (std::size_t j = 0; j < n; ++j) {
        float total = 0.0f;
        for (std::size_t p = 0; p < k; ++p) total += a[p * lda + i] * b[j * ldb + p];
        c_row[j] += alpha * total;
      }
    }
  }
}

}  // namespace attograd::blas
