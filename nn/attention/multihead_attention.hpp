// MultiheadAttention: Vaswani et al. (2017), with torch.nn.MultiheadAttention's parameter names.
//   head_h = softmax(q W_q,h (k W_k,h)ᵀ / √D + mask) v W_v,h      h = 1 … H,  D = E / H
//   output = [head_1; …; head_H] W_oᵀ + b_o
// All of it is MultiheadAttention::forward (multihead_attention.cpp): project, split heads,
// scaled_dot_product_attention, merge, out_proj. Unlike PyTorch: batch_first by default, one
// AttentionMask, fully masked rows give zeros (not NaN), weights are returned before dropout.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <attograd/nn/attention/attention_functional.hpp>
#include <attograd/nn/attention/key_value_cache.hpp>
#include <attograd/nn/attention/mask.hpp>
#include <attograd/nn/linear.hpp>

namespace attograd::nn {

struct MultiheadAttentionOptions {
  std::size_t embed_dim = 0;       // E; divisible by num_heads
  std::size_t num_heads = 1;       // H
  float dropout = 0.0f;            // on the attention weights, while training
  bool bias = true;                // in_proj_bias and out_proj.bias
  std::size_t kdim = 0, vdim = 0;  // the key's and value's widths; 0 means embed_dim
  bool batch_first = true;         // (B, T, E); false: (T, B, E)
};

class MultiheadAttention : public Module {
 public:
  explicit MultiheadAttention(const MultiheadAttentionOptions& options);
  MultiheadAttention(std::size_t embed_dim, std::size_t num_heads);

  // query (B, T, E), key (B, S, kdim), value (B, S, vdim) -> output (B, T, E), and weights if
  // need_weights: (B, T, S) averaged over heads, or (B, H, T, S). The mask is resolved against
  // the scores (B, H, T, S). With a cache, key and value are only the new positions.
  functional::AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                      const AttentionMask& mask = {}, bool need_weights = true,
                                      bool average_attn_weights = true, KeyValueCache* cache = nullptr) const;
  functional::AttentionOutput operator()(const Tensor& query, const Tensor& key, const Tensor& value,
                                         const AttentionMask& mask = {}, bool need_weights = true,
                                         bool average_attn_weights = true, KeyValueCache* cache = nullptr) const {
    return forward(query, key, value, mask, need_weights, average_attn_weights, cache);
  }

  void reset_parameters() override;  // as PyTorch: xavier_uniform_ projections, zero biases
  const MultiheadAttentionOptions& options() const { return options_; }
  std::size_t head_dim() const { return options_.embed_dim / options_.num_heads; }
  std::string describe() const override;

  // in_proj_weight (3E, E), or q/k/v_proj_weight when kdim or vdim differ from E; in_proj_bias (3E)
  Tensor in_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, in_proj_bias;
  std::shared_ptr<Linear> out_proj;

 private:
  MultiheadAttentionOptions options_;
};

}  // namespace attograd::nn
