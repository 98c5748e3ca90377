// Fused softmax and log_softmax: one op each, with a hand-written backward.
//
// Composite twins: attograd::softmax and attograd::log_softmax (core/ops/functional.cpp),
// exp(x - max) / Σ exp(x - max) written with core ops; they call these when fused kernels are
// on (core/fused/switch.hpp). What fusing buys: one pass per row over contiguous memory instead
// of five ops with an intermediate array each, and a backward from the saved output alone:
//   softmax:      y = exp(x - max) / Σ exp(x - max)      dx = y ⊙ (g - Σ_row g ⊙ y)
//   log_softmax:  y = x - max - log Σ exp(x - max)       dx = g - exp(y) Σ_row g
// Measured (docs/performance.md): the row kernels replaced per-element lambdas and are several
// times faster than the composite on the benchmark's (B·H·T, S) rows.
#pragma once

#include <attograd/core/tensor.hpp>

namespace attograd::fused {

Tensor softmax(const Tensor& x, int dim);
Tensor log_softmax(const Tensor& x, int dim);

}  // namespace attograd::fused
