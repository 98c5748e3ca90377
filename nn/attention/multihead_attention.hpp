// MultiheadAttention: Vaswani et al. (2017), with torch.nn.MultiheadAttention's parameters and
// names, so its state dicts load here unchanged.
//
//   head_h = softmax(q W_q,h (k W_k,h)ᵀ / √D + mask) v W_v,h      h = 1 … H,  D = E / H
//   output = [head_1; …; head_H] W_oᵀ + b_o
//
// Parameters (PyTorch's names):
//   in_proj_weight (3E, E), in_proj_bias (3E)  the query, key and value projections stacked,
//       when kdim == vdim == E; otherwise q_proj_weight (E, E), k_proj_weight (E, kdim),
//       v_proj_weight (E, vdim) and in_proj_bias (3E)
//   out_proj.weight (E, E), out_proj.bias (E)
// Initialised as PyTorch: xavier_uniform_ projections, zero biases, out_proj.weight as a Linear.
//
// Differences from PyTorch, on purpose: batch_first defaults to true; one AttentionMask
// (nn/mask.hpp) replaces attn_mask + key_padding_mask and says its polarity in its name; fully
// masked rows give zeros, not NaN; the returned weights are those before dropout.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <attograd/nn/attention/attention_functional.hpp>
#include <attograd/nn/attention/mask.hpp>
#include <attograd/nn/linear.hpp>
#include <attograd/nn/module.hpp>

namespace attograd::nn {

class MultiheadAttention : public Module {
 public:
  // kdim / vdim 0 mean embed_dim. embed_dim must be divisible by num_heads.
  MultiheadAttention(std::size_t embed_dim, std::size_t num_heads, float dropout = 0.0f, bool bias = true,
                     std::size_t kdim = 0, std::size_t vdim = 0, bool batch_first = true);

  // query (B, T, E), key (B, S, kdim), value (B, S, vdim) ((T, B, E) etc. when !batch_first).
  // Returns output (B, T, E) (or (T, B, E)) and, if need_weights, the weights (B, T, S)
  // averaged over heads, or (B, H, T, S) per head; otherwise weights is undefined.
  // The mask is resolved against the scores (B, H, T, S).
  functional::AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                      const AttentionMask& mask = {}, bool need_weights = true,
                                      bool average_attn_weights = true) const;
  functional::AttentionOutput operator()(const Tensor& query, const Tensor& key, const Tensor& value,
                                         const AttentionMask& mask = {}, bool need_weights = true,
                                         bool average_attn_weights = true) const {
    return forward(query, key, value, mask, need_weights, average_attn_weights);
  }

  // The steps of forward, for incremental decoding (all batch-first, whatever batch_first says):
  // project once, keep the keys and values, attend many times.
  struct KeyValue {
    Tensor keys;    // (B, H, S, D)
    Tensor values;  // (B, H, S, D)
    std::size_t length() const { return keys.defined() ? keys.shape()[2] : 0; }
  };
  Tensor project_query(const Tensor& query) const;                           // (B, T, E) -> (B, H, T, D)
  KeyValue project_key_value(const Tensor& key, const Tensor& value) const;  // -> (B, H, S, D) twice
  // `more`'s keys and values appended after `cache`'s along S (cache may be empty).
  static KeyValue append(const KeyValue& cache, const KeyValue& more);
  // Attention of projected queries over projected keys/values, heads merged, out_proj applied:
  // output (B, T, E).
  functional::AttentionOutput attend(const Tensor& q_heads, const KeyValue& kv, const AttentionMask& mask = {},
                                     bool need_weights = true, bool average_attn_weights = true) const;

  std::size_t embed_dim() const { return embed_dim_; }
  std::size_t num_heads() const { return num_heads_; }
  std::size_t head_dim() const { return embed_dim_ / num_heads_; }
  bool batch_first() const { return batch_first_; }
  std::string describe() const override;

  // Packed (kdim == vdim == E): in_proj_weight; otherwise q/k/v_proj_weight. Undefined if unused.
  Tensor in_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight;
  Tensor in_proj_bias;  // (3E), undefined without bias
  std::shared_ptr<Linear> out_proj;

 private:
  Tensor project(const Tensor& x, std::size_t which) const;  // which: 0 query, 1 key, 2 value
  // Projections first .. first + count - 1 of the packed in_proj in one product: (B, L, count·E).
  Tensor project_packed(const Tensor& x, std::size_t first, std::size_t count) const;
  Tensor split_heads(const Tensor& x) const;  // (B, L, E) -> (B, H, L, D)
  void check_inputs(const Tensor& query, const Tensor& key, const Tensor& value) const;

  std::size_t embed_dim_, num_heads_, kdim_, vdim_;
  float dropout_;
  bool batch_first_;
};

}  // namespace attograd::nn
