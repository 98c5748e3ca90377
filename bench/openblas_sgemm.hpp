// The reference the matmul workload is measured against: a raw cblas_sgemm call.
#pragma once

#include <cstddef>

namespace attograd::bench {

// C (n×n) = A (n×n) · B (n×n), row-major, straight through OpenBLAS on `threads` of its own
// threads. They spin for up to about 0.1 s afterwards (OpenBLAS's thread timeout, 2^28
// cycles), so callers leave them that long before timing attograd again.
void raw_sgemm(std::size_t n, const float* a, const float* b, float* c, std::size_t threads);

}  // namespace attograd::bench
