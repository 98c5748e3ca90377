// Multi-head scaled dot-product attention on projections whose heads sit side by side, the
// core of MultiheadAttention:
//
//   q (B, T, E), k (B, S, E), v (B, S, E) with E = H·D: head h is columns [h·D, (h+1)·D).
//   per head: P_h = masked_softmax(Q_h K_hᵀ / √D)    O_h = P_h V_h
//   output (B, T, E): the O_h side by side again; weights (B, T, S), the P_h averaged over heads,
//   or (B, H, T, S) each head's own.
//
// Written from core ops: reshape and permute into heads, scaled_dot_product_attention, permute
// and reshape back. While fused kernels are on, the work goes to the fused twin
// (core/fused/attention_heads.hpp), except where only the composite form can do it: dropout on
// the weights while training, or an additive mask that requires grad.
// Masks behave as in attention_functional.hpp (fully blocked rows give zeros).
#pragma once

#include <cstddef>
#include <string>

#include <attograd/core/tensor.hpp>
#include <attograd/nn/attention/attention_functional.hpp>
#include <attograd/nn/attention/mask.hpp>

namespace attograd {
class Generator;
}

namespace attograd::nn::functional {

struct HeadsOptions {
  std::size_t num_heads = 1;
  bool need_weights = true;             // false: weights undefined
  bool average_weights = true;          // (B, T, S) over heads, else (B, H, T, S)
  float dropout_p = 0.0f;               // on the weights used for the output, while training
  bool training = false;                // dropout applies only then
  Generator* generator = nullptr;       // for dropout; the default generator if null
  std::string who = "attention_heads";  // names the caller in errors
};

AttentionOutput attention_heads(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                                const HeadsOptions& options);

// Self-attention on one packed projection qkv (B, L, 3E) = [Q | K | V] (MultiheadAttention's
// in_proj applied once): attention_heads on its three chunks (the fused twin reads them in place).
AttentionOutput attention_heads_packed(const Tensor& qkv, const AttentionMask& mask, const HeadsOptions& options);

}  // namespace attograd::nn::functional
