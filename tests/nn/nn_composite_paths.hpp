// The composite path of each nn function with a fused twin (see tests/support/composite_paths.hpp).
#pragma once

#include <attograd/nn/attention/additive_attention.hpp>
#include <attograd/nn/rnn/gru.hpp>
#include <attograd/nn/rnn/lstm.hpp>

#include "../support/composite_paths.hpp"

namespace attograd::nn::functional {

inline Tensor gru_update_composite(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h) {
  return composite_path([&] { return gru_update(gates_x, gates_h, h); });
}
inline LSTMState lstm_update_composite(const Tensor& gates, const Tensor& c) {
  return composite_path([&] { return lstm_update(gates, c); });
}
inline Tensor additive_scores_composite(const Tensor& q_proj, const Tensor& k_proj, const Tensor& v) {
  return composite_path([&] { return additive_scores(q_proj, k_proj, v); });
}

}  // namespace attograd::nn::functional
