// The options and outputs shared by the Transformer's layers, with torch.nn.Transformer*Layer's
// defaults except batch_first (true here). Written with designated initialisers:
//   TransformerLayerOptions{.d_model = 64, .nhead = 4, .dim_feedforward = 128, .dropout = 0.0f}
#pragma once

#include <cstddef>
#include <vector>

#include <attograd/core/tensor.hpp>

namespace attograd::nn {

enum class TransformerActivation { ReLU, GELU };

struct TransformerLayerOptions {
  std::size_t d_model = 512;
  std::size_t nhead = 8;
  std::size_t dim_feedforward = 2048;
  float dropout = 0.1f;
  TransformerActivation activation = TransformerActivation::ReLU;
  float layer_norm_eps = 1e-5f;
  bool batch_first = true;  // (B, T, E); false: (T, B, E)
  bool norm_first = false;  // false: x = norm(x + block(x)) (post-norm, the 2017 paper);
                            // true:  x = x + block(norm(x))  (pre-norm, GPT-2's)
};

// Which attention weights a *_with_attention call returns: each head's, their mean, or none
// (then none are computed, as in forward).
enum class AttentionWeights { PerHead, Averaged, None };

// What a Transformer layer or stack returns from forward_with_attention and
// forward_step_with_attention: its output and each layer's attention weights (before dropout),
// as values. With B batch, T queries, S memory positions, H heads:
//   self_attention[l]   (B, H, T, T) per head, or (B, T, T) averaged; (B, H, t, cached + t)
//                       for a step with a cache
//   cross_attention[l]  decoder layers only: (B, H, T, S) or (B, T, S)
// One head of one layer: select(out.self_attention[l], 1, h), (B, T, T).
struct TransformerOutput {
  Tensor output;  // (B, T, E), or (T, B, E) when !batch_first
  std::vector<Tensor> self_attention;
  std::vector<Tensor> cross_attention;
};

}  // namespace attograd::nn
