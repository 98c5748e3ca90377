// Fused LSTM update: the gate equations of one LSTM step as one op, with a hand-written backward.
//
// Composite twin: nn::functional::lstm_update (nn/rnn/lstm.cpp), the same equations as core ops;
// it calls this when fused kernels are on. What fusing buys, as for the GRU: a dozen ops and
// their intermediate arrays per time step become one.
//   i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)   c' = f ⊙ c + i ⊙ g   h' = o ⊙ tanh(c')
// with gates = [a_i, a_f, a_g, a_o] = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh.
#pragma once

#include <attograd/core/tensor.hpp>

namespace attograd::fused {

struct HiddenAndCell {
  Tensor h;  // (B, H)
  Tensor c;  // (B, H)
};

// gates (B, 4H), c (B, H) -> {h', c'}.
HiddenAndCell lstm_update(const Tensor& gates, const Tensor& c, Where caller = Where::current());

// Throws std::invalid_argument unless the shapes are as above; shared with the composite twin.
void check_lstm_update(const Tensor& gates, const Tensor& c);

}  // namespace attograd::fused
