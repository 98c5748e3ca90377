// AdditiveAttention: Bahdanau, Cho & Bengio (2015), "Neural Machine Translation by Jointly
// Learning to Align and Translate", the first attention over encoder states.
//
//   score(q, k_j) = vᵀ tanh(W_q q + W_k k_j + b)      (paper: v_aᵀ tanh(W_a s_{i-1} + U_a h_j);
//                                                      the bias b is the usual addition to it)
//   weights = softmax_j(score)   context = Σ_j weights_j · value_j
//
// Parameters, named by role (paper symbol in brackets), each with an A-wide attention space:
//   query_weight (A, Dq) [W_a]   key_weight (A, Dk) [U_a]   bias (A)   v (A) [v_a]
// Both projections are real parameters: the query and the keys each get their own matrix.
#pragma once

#include <cstddef>
#include <string>

#include <attograd/nn/attention/attention_functional.hpp>
#include <attograd/nn/attention/mask.hpp>
#include <attograd/nn/module.hpp>

namespace attograd::nn {

namespace functional {
// scores[b, t, s] = vᵀ tanh(q_proj[b, t] + k_proj[b, s]) for q_proj (B, T, A), k_proj (B, S, A)
// and v (A) -> (B, T, S), from core ops (unsqueeze, add, tanh, matmul); its fused twin is
// core/fused/additive_scores.hpp.
Tensor additive_scores(const Tensor& q_proj, const Tensor& k_proj, const Tensor& v);
}  // namespace functional

// nn::AdditiveAttentionOptions{.query_dim = 32, .key_dim = 64, .attention_dim = 16}
struct AdditiveAttentionOptions {
  std::size_t query_dim = 0;      // Dq, positive
  std::size_t key_dim = 0;        // Dk, positive
  std::size_t attention_dim = 0;  // A, the width of the tanh layer; 0 means query_dim
};

class AdditiveAttention : public Module {
 public:
  explicit AdditiveAttention(const AdditiveAttentionOptions& options);
  AdditiveAttention(std::size_t query_dim, std::size_t key_dim, std::size_t attention_dim = 0);

  // Every parameter U(-1/√fan_in, 1/√fan_in) in the order query_weight (fan_in Dq), key_weight
  // (Dk), bias (Dk), v (A).
  void reset_parameters() override;

  // query (B, Dq) for one decoder step, or (B, T, Dq) for T steps; keys (B, S, Dk);
  // values (B, S, Dv). Returns context (B, Dv) or (B, T, Dv) and weights (B, S) or (B, T, S);
  // the mask is resolved against those weights' shape.
  functional::AttentionOutput forward(const Tensor& query, const Tensor& keys, const Tensor& values,
                                      const AttentionMask& mask = {}) const;
  functional::AttentionOutput operator()(const Tensor& query, const Tensor& keys, const Tensor& values,
                                         const AttentionMask& mask = {}) const {
    return forward(query, keys, values, mask);
  }

  // A decoder attends to the same keys at every step: project them once (W_k k + b, (B, S, A))
  // and pass them to forward_projected, which is forward without that product.
  Tensor project_keys(const Tensor& keys) const;
  functional::AttentionOutput forward_projected(const Tensor& query, const Tensor& projected_keys, const Tensor& values,
                                                const AttentionMask& mask = {}) const;

  std::string describe() const override;
  const AdditiveAttentionOptions& options() const { return options_; }

  Tensor query_weight, key_weight, bias, v;

 private:
  functional::AttentionOutput attend(const Tensor& query, const Tensor& projected_keys, const Tensor& values,
                                     const AttentionMask& mask) const;

  AdditiveAttentionOptions options_;
  std::size_t query_dim_, key_dim_, attention_dim_;  // attention_dim_ resolved (never 0)
};

}  // namespace attograd::nn
