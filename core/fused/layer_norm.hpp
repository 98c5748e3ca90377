// Fused layer_norm: one op with a hand-written backward.
//
// Composite twin: attograd::layer_norm (core/ops/functional.cpp), (x - mean) / √(var + eps) ·
// weight + bias from core ops; it calls this when fused kernels are on. What fusing buys: the
// statistics and the output in one pass per row, no intermediate arrays, and the backward
//   dx = rstd · (dx̂ - mean(dx̂) - x̂ · mean(dx̂ ⊙ x̂)),  dx̂ = g ⊙ weight,  x̂ = (x - mean) · rstd
// from x and the saved per-row mean and rstd (docs/performance.md has the measurements).
#pragma once

#include <attograd/core/tensor.hpp>

namespace attograd::fused {

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {}, const Tensor& bias = {},
                  float eps = 1e-5f);

}  // namespace attograd::fused
