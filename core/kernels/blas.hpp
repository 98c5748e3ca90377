// The one door to OpenBLAS: every matrix product in attograd goes through sgemm (or gemm, its
// form on matrix views), which splits large products over the thread pool and counts FLOPs.
#pragma once

#include <cstddef>
#include <type_traits>

namespace attograd::blas {

// C (m×n) = alpha · op(A) · op(B) + beta · C, row-major; op(X) is X or Xᵀ as the flag says,
// so transposes are never copied. lda/ldb/ldc are the row strides as stored. A large product
// is cut into slices of C's rows (or columns) that parallel_for's pool multiplies side by side,
// each with single-threaded OpenBLAS; one under 2^20 multiply-adds runs whole on the calling
// thread (docs/performance.md, "One thread where two lose").
void sgemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
           std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc);

// A row-major matrix in memory it does not own: rows × cols, row i starting at data + i·ld, so a
// view can be a block of a wider matrix (one head's columns of a (B, T, E) tensor: ld = E).
// T() is the transpose as a flag, never a copy: the same memory read down its columns.
// Matrix writes; ConstMatrix only reads, and a Matrix passes wherever a ConstMatrix is asked.
template <class Float>
struct MatrixView {
  Float* data;
  std::size_t rows, cols;  // of the matrix this view stands for (after any transpose)
  std::size_t ld;          // the row stride of the memory as stored
  bool transposed = false;

  MatrixView T() const { return {data, cols, rows, ld, !transposed}; }
  operator MatrixView<const float>() const requires(!std::is_const_v<Float>) {
    return {data, rows, cols, ld, transposed};
  }
};
using Matrix = MatrixView<float>;
using ConstMatrix = MatrixView<const float>;

// c = alpha · a · b + beta · c, through sgemm. Throws std::invalid_argument naming the shapes
// if they do not agree, if a row stride is shorter than a stored row, or if c is transposed.
void gemm(Matrix c, ConstMatrix a, ConstMatrix b, float alpha = 1.0f, float beta = 0.0f);

// 2·m·n·k summed over every sgemm since the program started, on every thread: the benchmark's
// roofline counts a step's GEMM FLOPs as the difference across one step (bench/main.cpp).
double gemm_flops_total();

// sgemm splits a product over the threads from this many multiply-adds (m·n·k) on; below it the
// product runs whole on the calling thread. Loops that share whole products out over the threads
// themselves (linear's backward, batched matmul) use the same line.
constexpr std::size_t split_from = std::size_t{1} << 20;

// What one small product costs beyond its multiply-adds (the BLAS call, its packing, a head's
// softmax rows beside it), in FLOPs at the ~64 GFLOP/s one core reaches: about 2 µs. Loops of
// many small products (attention heads, batched matmul) add it per product when deciding whether
// to share the products out over the threads (parallel_parts): the Transformer workload's 128
// heads of 16×16×32 took 4.7 µs each on one thread, most of it not multiply-adds.
constexpr double call_cost_flops = 131072.0;

// The number of threads attograd runs on: the number OpenBLAS would have used
// (OPENBLAS_NUM_THREADS, else the cores). The first call sets OpenBLAS itself to one thread
// (configure_process makes that call: core/process.hpp).
std::size_t max_threads();

// The threads a product started here may use: 1 inside a parallel_for part, else max_threads().
std::size_t threads_here();

// The kernel family OpenBLAS chose when it loaded ("Haswell", "SkylakeX", …).
const char* kernel_name();

}  // namespace attograd::blas
