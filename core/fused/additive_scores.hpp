// Fused additive attention scores: scores[b, t, s] = vᵀ tanh(q_proj[b, t] + k_proj[b, s]) as one
// op with a hand-written backward.
//
// Composite twin: nn::functional::additive_scores (nn/attention/additive_attention.cpp),
// unsqueeze, add, tanh and matmul from core ops; it calls this when fused kernels are on. What
// fusing buys: the broadcast sum (B, T, S, A) is made once, tanh'd in place and kept for the
// backward, instead of a sum, a tanh and their gradients each as (B, T, S, A) arrays.
#pragma once

#include <attograd/core/tensor.hpp>

namespace attograd::fused {

// q_proj (B, T, A), k_proj (B, S, A), v (A) -> scores (B, T, S).
// Like every public op it is timed by a ProfileGuard under its own name (CallSite).
Tensor additive_scores(const Tensor& q_proj, const Tensor& k_proj, const Tensor& v, Where caller = Where::current());

// Throws std::invalid_argument unless the shapes are as above; shared with the composite twin.
void check_additive_scores(const Tensor& q_proj, const Tensor& k_proj, const Tensor& v);

}  // namespace attograd::fused
