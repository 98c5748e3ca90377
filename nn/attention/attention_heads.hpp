// Multi-head scaled dot-product attention on projections whose heads sit side by side, the
// core of MultiheadAttention, as one op with a hand-written backward.
//
//   q (B, T, E), k (B, S, E), v (B, S, E) with E = H·D: head h is columns [h·D, (h+1)·D).
//   per head: P_h = masked_softmax(Q_h K_hᵀ / √D)    O_h = P_h V_h
//   output (B, T, E): the O_h side by side again; weights (B, T, S), the P_h averaged over heads,
//   or (B, H, T, S) each head's own.
//
// attention_heads_composite spells the same out in core ops - reshape and permute into heads,
// scaled_dot_product_attention, permute and reshape back - and is what the fused op is tested
// against. The fused op reads each head in place through BLAS row strides, so the heads are
// never copied apart or back together, and it keeps only P for its backward:
//   dV_h = P_hᵀ dO_h    dP_h = dO_h V_hᵀ    dS_h = P_h ⊙ (dP_h - Σ_row dP_h ⊙ P_h)
//   dQ_h = dS_h K_h / √D    dK_h = dS_hᵀ Q_h / √D
// Both outputs are differentiable; the weights' backward runs only if a loss uses them.
// Masks behave as in attention_functional.hpp (fully blocked rows give zeros). An additive mask
// that requires grad is handed to the composite form, which can differentiate it.
#pragma once

#include <cstddef>
#include <string>

#include <attograd/core/tensor.hpp>
#include <attograd/nn/attention/attention_functional.hpp>
#include <attograd/nn/attention/mask.hpp>

namespace attograd::nn::functional {

struct HeadsOptions {
  std::size_t num_heads = 1;
  bool need_weights = true;             // false: weights undefined
  bool average_weights = true;          // (B, T, S) over heads, else (B, H, T, S)
  std::string who = "attention_heads";  // names the caller in errors
};

AttentionOutput attention_heads(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                                const HeadsOptions& options);
AttentionOutput attention_heads_composite(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                                          const HeadsOptions& options);

// Self-attention on one packed projection qkv (B, L, 3E) = [Q | K | V] (MultiheadAttention's
// in_proj applied once): the same as attention_heads on its three chunks, without copying them
// out or their gradients back.
AttentionOutput attention_heads_packed(const Tensor& qkv, const AttentionMask& mask, const HeadsOptions& options);
AttentionOutput attention_heads_packed_composite(const Tensor& qkv, const AttentionMask& mask,
                                                 const HeadsOptions& options);

}  // namespace attograd::nn::functional
