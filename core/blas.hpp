// The one door to OpenBLAS. Kept apart because <cblas.h> clashes with xtensor-blas's headers.
#pragma once

#include <cstddef>

namespace attograd::blas {

// C (m×n) = alpha · op(A) · op(B) + beta · C, row-major; op(X) is X or Xᵀ as the flag says,
// so transposes are never copied. lda/ldb/ldc are the row strides as stored.
void sgemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
           std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc);

}  // namespace attograd::blas
