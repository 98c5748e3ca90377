// How the fused attention kernels (attention_heads.cpp, streaming_heads.cpp) find each head of
// Q, K, V in place, and how they share the heads out over the threads. Internal to core/fused.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include <attograd/core/fused/attention_heads.hpp>
#include <attograd/core/kernels/blas.hpp>
#include <attograd/core/kernels/parallel.hpp>

namespace attograd::fused::heads {

// Where Q, K or V lives: which input of the op, its first column, and its row stride. Separate
// projections are (i, 0, E); a packed (B, L, 3E) projection holds Q, K, V at columns 0, E, 2E.
struct Operand {
  std::size_t input, column, ld;
};
struct Layout {
  Operand q, k, v;
};

// Head h of batch b of an operand with L rows per batch, read in place from `x` (the operand's
// input or its gradient, which share a shape): the (L, D) block at rows b·L.., columns
// column + h·D.., with the operand's row stride.
template <class Float>
blas::MatrixView<Float> head(Float* x, const Operand& o, const HeadsSizes& z, std::size_t L, std::size_t b,
                             std::size_t h) {
  return {x + b * L * o.ld + o.column + h * z.D, L, z.D, o.ld};
}

// Below this many multiply-adds per head product, splitting each GEMM over the threads costs
// more than it saves (measured for the heads; batched matmul draws the line at sgemm's own,
// blas::split_from): the heads themselves are shared out instead.
constexpr std::size_t small_head_product = 64 * 64 * 64;

// f(b, h) for every head of every batch. Small heads (or always_share) are shared out over the
// threads, each running its GEMMs single-threaded (parallel_for); large ones run in turn, each
// GEMM on every thread. The heads write disjoint columns, so either order gives the same result.
template <class F>
void for_each_head(const HeadsSizes& z, F&& f, bool always_share = false) {
  const std::size_t n = z.B * z.H;
  const auto run = [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) f(i / z.H, i % z.H);
  };
  if (!always_share && z.T * z.S * z.D > small_head_product) {
    run(0, 0, n);
    return;
  }
  // Each head costs a few microseconds beyond its multiply-adds (its GEMM calls, its softmax
  // rows), which for small heads is most of it (blas::call_cost_flops).
  const double work = static_cast<double>(n) * (2.0 * static_cast<double>(z.T * z.S * z.D) + blas::call_cost_flops);
  parallel_for(n, parallel_parts(n, work), run);
}

// The heads by blocks of keys with a streaming softmax (streaming_heads.cpp): the output
// (B, T, E), differentiable, for a mask with no (B, H, T, S) parts (blocked and bias unset).
Tensor streaming_heads(const std::vector<Tensor>& inputs, const Layout& at, const HeadsSizes& z, const HeadsMask& mask);

}  // namespace attograd::fused::heads
