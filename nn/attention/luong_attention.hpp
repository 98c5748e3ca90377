// LuongAttention: Luong, Pham & Manning (2015), "Effective Approaches to Attention-based
// Neural Machine Translation" (global attention), with the paper's three scores:
//
//   dot      score(q, k_j) = qᵀ k_j                      (needs Dq == Dk)
//   general  score(q, k_j) = qᵀ W_a k_j                  score_weight (Dq, Dk) [W_a]
//   concat   score(q, k_j) = v_aᵀ tanh(W_a [q; k_j])     score_weight (A, Dq + Dk) [W_a], v (A) [v_a]
//
//   weights = softmax_j(score)   context c = Σ_j weights_j · value_j
//   attentional hidden state h̃ = tanh(W_c [c; h])        output_weight (Dq, Dv + Dq) [W_c]
//
// In the paper the keys and values are both the encoder's hidden states; here they may differ.
// As in the paper there is no scaling and no bias.
#pragma once

#include <cstddef>
#include <string>

#include <attograd/nn/attention/attention_functional.hpp>
#include <attograd/nn/attention/mask.hpp>
#include <attograd/nn/module.hpp>

namespace attograd::nn {

enum class LuongScore { Dot, General, Concat };

// nn::LuongAttentionOptions{.score = nn::LuongScore::General, .query_dim = 32, .key_dim = 64}
struct LuongAttentionOptions {
  LuongScore score = LuongScore::Dot;
  std::size_t query_dim = 0;      // Dq, positive
  std::size_t key_dim = 0;        // Dk, positive (== Dq for the dot score)
  std::size_t value_dim = 0;      // Dv; 0 means key_dim
  std::size_t attention_dim = 0;  // concat's tanh width A; 0 means query_dim
  // false leaves out W_c (output_weight), for a layer used only for its scores and context;
  // attentional_hidden() then throws.
  bool with_attentional_hidden = true;
};

class LuongAttention : public Module {
 public:
  explicit LuongAttention(const LuongAttentionOptions& options);
  LuongAttention(LuongScore score, std::size_t query_dim, std::size_t key_dim, std::size_t value_dim = 0,
                 std::size_t attention_dim = 0, bool with_attentional_hidden = true);

  // Every parameter U(-1/√fan_in, 1/√fan_in) in the order score_weight (fan_in Dk for general,
  // Dq + Dk for concat), v (A), output_weight (Dv + Dq).
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

  // The raw scores (B, S) or (B, T, S), before masking and softmax.
  Tensor score(const Tensor& query, const Tensor& keys) const;

  // h̃ = tanh(W_c [context; hidden]): context (…, Dv), hidden (…, Dq) -> (…, Dq).
  Tensor attentional_hidden(const Tensor& context, const Tensor& hidden) const;

  LuongScore score_kind() const { return score_; }
  std::string describe() const override;
  const LuongAttentionOptions& options() const { return options_; }

  Tensor score_weight;   // general (Dq, Dk) or concat (A, Dq + Dk); undefined for dot
  Tensor v;              // concat only (A)
  Tensor output_weight;  // (Dq, Dv + Dq); undefined without the attentional hidden state

 private:
  void check_inputs(const Tensor& query, const Tensor& keys, const Tensor* values) const;

  LuongAttentionOptions options_;
  LuongScore score_;
  std::size_t query_dim_, key_dim_, value_dim_, attention_dim_;  // value_dim_, attention_dim_ resolved
};

}  // namespace attograd::nn
