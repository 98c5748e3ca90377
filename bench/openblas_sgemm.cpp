// Raw OpenBLAS sgemm, in its own file because <cblas.h> clashes with xtensor-blas.
#include "openblas_sgemm.hpp"

#include <cblas.h>

namespace attograd::bench {

void raw_sgemm(std::size_t n, const float* a, const float* b, float* c) {
  const auto size = static_cast<blasint>(n);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, size, size, size, 1.0f, a, size, b, size, 0.0f, c, size);
}

}  // namespace attograd::bench
