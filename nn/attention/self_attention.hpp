// SelfAttention: one head of scaled dot-product attention in which a sequence attends to
// itself - the smallest complete attention layer, the one to read first.
//
//   q = x W_qᵀ, k = x W_kᵀ, v = x W_vᵀ      (B, T, E) -> (B, T, D) each
//   output = softmax(q kᵀ / √D + mask) v     (B, T, D), weights (B, T, T)
//
// Children query, key and value are Linear(E, D), without bias by default (as in GPT's heads).
// With causal = true every forward also blocks the future (causal, TopLeft: position i sees
// positions j <= i), combined with any mask given.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <attograd/nn/attention/attention_functional.hpp>
#include <attograd/nn/attention/mask.hpp>
#include <attograd/nn/linear.hpp>
#include <attograd/nn/module.hpp>

namespace attograd::nn {

// nn::SelfAttentionOptions{.embed_dim = 32, .head_dim = 8, .causal = true}
struct SelfAttentionOptions {
  std::size_t embed_dim = 0;  // E, positive
  std::size_t head_dim = 0;   // D; 0 means embed_dim
  bool causal = false;        // block the future in every forward
  bool bias = false;          // the projections' biases
  float dropout = 0.0f;       // on the attention weights while training, in [0, 1]
};

class SelfAttention : public Module {
 public:
  explicit SelfAttention(const SelfAttentionOptions& options);
  SelfAttention(std::size_t embed_dim, std::size_t head_dim = 0, bool causal = false, bool bias = false,
                float dropout = 0.0f);

  // The children in the order built: query, key, value (each Linear's own initialisation).
  void reset_parameters() override;

  // x (B, T, E) -> output (B, T, D), weights (B, T, T). The mask is resolved against (B, T, T).
  functional::AttentionOutput forward(const Tensor& x, const AttentionMask& mask = {}) const;
  functional::AttentionOutput operator()(const Tensor& x, const AttentionMask& mask = {}) const {
    return forward(x, mask);
  }

  bool causal() const { return options_.causal; }
  std::string describe() const override;
  const SelfAttentionOptions& options() const { return options_; }

  std::shared_ptr<Linear> query, key, value;

 private:
  SelfAttentionOptions options_;
  std::size_t embed_dim_, head_dim_;  // head_dim_ resolved (never 0)
};

}  // namespace attograd::nn
