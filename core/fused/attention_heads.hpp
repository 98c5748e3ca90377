// Fused multi-head attention: every head's softmax(Q_h K_hᵀ / √D) V_h as one op, with a
// hand-written backward.
//
//   q (B, T, E), k (B, S, E), v (B, S, E) with E = H·D: head h is columns [h·D, (h+1)·D).
//   per head: P_h = softmax(Q_h K_hᵀ / √D + bias, blocked keys left out)    O_h = P_h V_h
//   output (B, T, E): the O_h side by side again; weights (B, T, S), the P_h averaged over heads,
//   or (B, H, T, S) each head's own.
//
// Composite twin: step 2 of MultiheadAttention::forward (nn/attention/multihead_attention.cpp):
// split into heads, scaled_dot_product_attention, merge, from core ops; it calls this when fused
// kernels are on (and no dropout or learned mask needs the composite). What fusing buys: each
// head is read in place as a strided matrix view, so the heads are never copied apart or back
// together, the (B, H, T, S) scores are not kept three times, and the backward needs only P:
//   dV_h = P_hᵀ dO_h    dP_h = dO_h V_hᵀ    dS_h = P_h ⊙ (dP_h - Σ_row dP_h ⊙ P_h)
//   dQ_h = dS_h K_h / √D    dK_h = dS_hᵀ Q_h / √D
// Both outputs are differentiable; the weights' backward runs only if a loss uses them.
// A row whose keys are all blocked gets weights 0 (output 0, gradients 0), as masked_softmax.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <attograd/core/tensor.hpp>

namespace attograd::fused {

// The mask, already resolved by the caller. The first two are full (B, H, T, S) arrays; the
// last two are never spelled out per score, so they keep memory linear in the length:
struct HeadsMask {
  std::optional<Mask> blocked;               // (B, H, T, S): true where a query may not look at a key
  std::optional<Array> bias;                 // (B, H, T, S): added to the scores (constant: no gradient)
  std::optional<std::int64_t> causal_shift;  // query i may not look at keys j > i + shift
  std::optional<Mask> padded_keys;           // (B, S): true where key j of sequence b is padding
};

struct HeadsOptions {
  std::size_t num_heads = 1;
  bool need_weights = true;             // false: weights undefined
  bool average_weights = true;          // (B, T, S) over heads, else (B, H, T, S)
  std::string who = "attention_heads";  // names the caller in errors
  // Stream (see below) from this many scores per head, T·S, on; 0: whenever the mask allows.
  // Below it keeping P is faster: at T = S = 64 (attograd-bench mha) streaming took 13.5 ms a
  // step against 11.4, its backward computing Q Kᵀ again; P is then only 16 KB a head.
  std::size_t streaming_from = 256 * 256;
};

struct HeadsOutput {
  Tensor output;   // (B, T, E)
  Tensor weights;  // (B, T, S) or (B, H, T, S); undefined without need_weights
};

// Without need_weights, with no (B, H, T, S) mask and from options.streaming_from scores per
// head on, the heads are computed in blocks of keys with a streaming softmax
// (streaming_heads.cpp, after FlashAttention): no (T, S) matrix is kept for the backward, which
// recomputes each block from the row's log-sum-exp instead, so the memory of a forward and
// backward is linear in T and S. Otherwise P is kept (attention_heads.cpp).
// Both are timed by a ProfileGuard as "attention_heads" (CallSite), like every public op.
HeadsOutput attention_heads(const Tensor& q, const Tensor& k, const Tensor& v, const HeadsMask& mask,
                            const HeadsOptions& options, Where caller = Where::current());

// Self-attention on one packed projection qkv (B, L, 3E) = [Q | K | V] (MultiheadAttention's
// in_proj applied once): attention_heads on its three column blocks, read in place (cutting them
// out would copy 3·B·L·E floats forward and again backward).
HeadsOutput attention_heads_packed(const Tensor& qkv, const HeadsMask& mask, const HeadsOptions& options,
                                   Where caller = Where::current());

// The shape checks (MultiheadAttention's fused dispatch calls them before resolving its mask).
struct HeadsSizes {
  std::size_t B, T, S, E, H, D;
};
HeadsSizes check_attention_heads(const Tensor& q, const Tensor& k, const Tensor& v, const HeadsOptions& options);
std::size_t check_packed_heads(const Tensor& qkv, const HeadsOptions& options);  // returns E

}  // namespace attograd::fused
