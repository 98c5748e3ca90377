// MultiheadAttention: Vaswani et al. (2017), with torch.nn.MultiheadAttention's parameters and
// names, so its state dicts load here unchanged.
//
//   head_h = softmax(q W_q,h (k W_k,h)ᵀ / √D + mask) v W_v,h      h = 1 … H,  D = E / H
//   output = [head_1; …; head_H] W_oᵀ + b_o
//
// The whole path is MultiheadAttention::forward (multihead_attention.cpp): project, split into
// heads, functional::scaled_dot_product_attention, merge, out_proj.
//
// Parameters (PyTorch's names): in_proj_weight (3E, E) and in_proj_bias (3E), the query, key
// and value projections stacked (q_proj_weight (E, E), k_proj_weight (E, kdim) and
// v_proj_weight (E, vdim) instead when kdim or vdim differ from E); out_proj.weight (E, E),
// out_proj.bias (E). Initialised as PyTorch: xavier_uniform_ projections, zero biases.
// On purpose unlike PyTorch: batch_first defaults to true; one AttentionMask
// (nn/attention/mask.hpp) replaces attn_mask + key_padding_mask; fully masked rows give zeros,
// not NaN; the returned weights are those before dropout.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <attograd/nn/attention/attention_functional.hpp>
#include <attograd/nn/attention/mask.hpp>
#include <attograd/nn/linear.hpp>
#include <attograd/nn/module.hpp>

namespace attograd::nn {

struct MultiheadAttentionOptions {
  std::size_t embed_dim = 0;  // E; must be divisible by num_heads
  std::size_t num_heads = 1;  // H
  float dropout = 0.0f;       // on the attention weights, while training
  bool bias = true;           // in_proj_bias and out_proj.bias
  std::size_t kdim = 0;       // the key's width; 0 means embed_dim
  std::size_t vdim = 0;       // the value's width; 0 means embed_dim
  bool batch_first = true;    // (B, T, E); false: (T, B, E)
};

// The projected keys and values of the positions seen so far, for decoding one position at a
// time (incremental decoding). Heads sit side by side: (B, S, E).
struct KeyValueCache {
  Tensor keys, values;  // (B, S, E) each; undefined before the first call
  // true (self-attention): each call appends the projections of its key and value.
  // false (attention over a fixed memory): the first call projects key and value, later calls
  // reuse them and ignore key and value.
  bool grows = true;

  std::size_t length() const { return keys.defined() ? keys.shape()[1] : 0; }
  // Keeps hypotheses from[0], from[1], … in that order (beam search): rows of B.
  void reorder(const std::vector<std::size_t>& from);
};

class MultiheadAttention : public Module {
 public:
  explicit MultiheadAttention(const MultiheadAttentionOptions& options);
  MultiheadAttention(std::size_t embed_dim, std::size_t num_heads);

  // query (B, T, E), key (B, S, kdim), value (B, S, vdim) ((T, B, E) … when !batch_first) ->
  // output (B, T, E) and, if need_weights, the weights before dropout: (B, T, S) averaged over
  // heads, or (B, H, T, S) per head; undefined otherwise. The mask is resolved against the
  // scores (B, H, T, S). With a cache, key and value are the new positions only (see above).
  functional::AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                      const AttentionMask& mask = {}, bool need_weights = true,
                                      bool average_attn_weights = true, KeyValueCache* cache = nullptr) const;
  functional::AttentionOutput operator()(const Tensor& query, const Tensor& key, const Tensor& value,
                                         const AttentionMask& mask = {}, bool need_weights = true,
                                         bool average_attn_weights = true, KeyValueCache* cache = nullptr) const {
    return forward(query, key, value, mask, need_weights, average_attn_weights, cache);
  }

  void reset_parameters() override;
  const MultiheadAttentionOptions& options() const { return options_; }
  std::size_t head_dim() const { return options_.embed_dim / options_.num_heads; }
  std::string describe() const override;

  // Packed (kdim == vdim == E): in_proj_weight; otherwise q/k/v_proj_weight. Undefined if unused.
  Tensor in_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight;
  Tensor in_proj_bias;  // (3E), undefined without bias
  std::shared_ptr<Linear> out_proj;

 private:
  struct Projected {
    Tensor q, k, v;  // (B, T, E), (B, S, E), (B, S, E)
  };
  Projected project(const Tensor& query, const Tensor& key, const Tensor& value, KeyValueCache* cache) const;
  Tensor project_one(const Tensor& x, std::size_t first, std::size_t count) const;
  functional::AttentionOutput fused_heads(const Projected& p, const AttentionMask& mask, bool need_weights) const;
  Tensor split_heads(const Tensor& x) const;  // (B, L, E) -> (B, H, L, D)
  Tensor merge_heads(const Tensor& x) const;  // (B, H, L, D) -> (B, L, E)
  void init_projections();
  void check_inputs(const Tensor& query, const Tensor& key, const Tensor& value) const;

  MultiheadAttentionOptions options_;
};

}  // namespace attograd::nn
