// Fused GRU update: the gate equations of one GRU step as one op, with a hand-written backward.
//
// Composite twin: nn::functional::gru_update (nn/rnn/gru.cpp), the same equations as core ops
// (chunk, sigmoid, tanh, mul, add); it calls this when fused kernels are on. What fusing buys:
// about fifteen ops, their intermediate arrays and graph nodes per time step become one; the
// recurrence runs this once per step and batch row (docs/performance.md has the measurements).
//   r = σ(x_r + h_r)    z = σ(x_z + h_z)    n = tanh(x_n + r ⊙ h_n)    h' = (1 - z) ⊙ n + z ⊙ h
// with gates_x = [x_r, x_z, x_n] = x W_ihᵀ + b_ih and gates_h = [h_r, h_z, h_n] = h W_hhᵀ + b_hh.
#pragma once

#include <attograd/core/tensor.hpp>

namespace attograd::fused {

// gates_x and gates_h (B, 3H), h (B, H) -> h' (B, H).
Tensor gru_update(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h, Where caller = Where::current());

// Throws std::invalid_argument unless the shapes are as above; shared with the composite twin.
void check_gru_update(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h);

}  // namespace attograd::fused
