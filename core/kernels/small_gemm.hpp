// Matrix products too small for OpenBLAS: the Transformer workload's attention heads are 16×16
// by 32, 8 192 multiply-adds, which one core does in about 0.2 µs, while cblas_sgemm with its
// Haswell kernels took 0.4 µs alone and 1.4 µs when two threads called it side by side (it packs
// both operands into buffers it takes from a pool under a lock, which the two then wait on). Below
// small_product multiply-adds, blas::sgemm calls small_sgemm instead: a plain register-blocked
// loop with no allocation. Not where OpenBLAS runs its SkylakeX kernels (or their successors),
// which have a small-product path of their own that is faster still (blas.cpp).
#pragma once

#include <cstddef>

namespace attograd::blas {

// m·n·k up to which sgemm runs small_sgemm (measured against OpenBLAS: docs/performance.md,
// "Small products without OpenBLAS"; up to 64³ it was level with OpenBLAS alone or faster).
constexpr std::size_t small_product = 64 * 64 * 64;
// The longest inner dimension small_sgemm takes (its (k, 16) panel of B lives on the stack).
constexpr std::size_t small_max_depth = 256;

// C (m×n) = alpha · op(A) · op(B) + beta · C, row-major, with sgemm's arguments and meaning
// (beta = 0: C is only written, whatever it held; alpha = 0: A and B are not read).
// Throws std::invalid_argument if k > small_max_depth.
void small_sgemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
                 const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta, float* c,
                 std::size_t ldc);

// The loops small_sgemm has, one per instruction set; it runs the widest this CPU has. The tests
// run each one the CPU can through small_sgemm_using (which throws for one it cannot).
enum class SmallKernel { avx512, avx2, baseline };
bool small_kernel_runs_here(SmallKernel kernel);
void small_sgemm_using(SmallKernel kernel, bool transpose_a, bool transpose_b, std::size_t m, std::size_t n,
                       std::size_t k, float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb,
                       float beta, float* c, std::size_t ldc);

}  // namespace attograd::blas
