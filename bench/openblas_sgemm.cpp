// Raw OpenBLAS sgemm: the reference the benchmark measures attograd's products against.
#include "openblas_sgemm.hpp"

#include <cblas.h>

namespace attograd::bench {

void raw_sgemm(std::size_t n, const float* a, const float* b, float* c, std::size_t threads) {
  const auto size = static_cast<blasint>(n);
  openblas_set_num_threads(static_cast<int>(threads));  // attograd keeps OpenBLAS at one thread
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, size, size, size, 1.0f, a, size, b, size, 0.0f, c, size);
  openblas_set_num_threads(1);
}

}  // namespace attograd::bench
