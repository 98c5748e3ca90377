// The reference the matmul workload is measured against: a raw cblas_sgemm call.
#pragma once

#include <cstddef>

namespace attograd::bench {

// C (n×n) = A (n×n) · B (n×n), row-major, straight through OpenBLAS.
void raw_sgemm(std::size_t n, const float* a, const float* b, float* c);

}  // namespace attograd::bench
