// The one door to OpenBLAS. Kept apart because <cblas.h> clashes with xtensor-blas's headers.
#pragma once

#include <cstddef>

namespace attograd::blas {

// C (m×n) = alpha · op(A) · op(B) + beta · C, row-major; op(X) is X or Xᵀ as the flag says,
// so transposes are never copied. lda/ldb/ldc are the row strides as stored. A large product
// is cut into slices of C's rows (or columns) that parallel_for's pool multiplies side by side,
// each with single-threaded OpenBLAS; one under 2^20 multiply-adds runs whole on the calling
// thread (see blas.cpp for the measurements).
void sgemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
           std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc);

// 2·m·n·k summed over every sgemm since the program started, on every thread: the benchmark's
// roofline counts a step's GEMM FLOPs as the difference across one step (bench/main.cpp).
double gemm_flops_total();

// The number of threads attograd runs on: the number OpenBLAS would have used
// (OPENBLAS_NUM_THREADS, else the cores). The first call sets OpenBLAS itself to one thread.
std::size_t max_threads();

// The threads a product started here may use: 1 inside a parallel_for part, else max_threads().
std::size_t threads_here();

// The kernel family OpenBLAS chose when it loaded ("Haswell", "SkylakeX", …).
const char* kernel_name();

// Debian 12's OpenBLAS (0.3.21) picks its kernels once, when it loads, from the CPU's model
// number. A CPU newer than that release (the 2-core VMs this was measured on report "Intel Xeon
// Processor", family 6 model 207) falls back to "Prescott", its SSE3 kernels: a 512³ sgemm ran at
// 17 GFLOP/s there against about 100 with the AVX-512 kernels. Called first thing in main():
// if OpenBLAS fell back so on a CPU that has AVX-512 (or AVX2), runs the program again, once,
// with OPENBLAS_CORETYPE=SkylakeX (or Haswell), and says so on stderr. Does nothing when
// OPENBLAS_CORETYPE is already set (your choice wins), or when ATTOGRAD_KEEP_BLAS=1.
void use_cpu_kernels(char** argv);

}  // namespace attograd::blas
