// TransformerEncoderLayer and TransformerEncoder, as torch.nn's (same parameter names, so
// "layers.0.self_attn.in_proj_weight", "layers.0.linear1.weight", "layers.0.norm1.weight" load).
//
// One layer, post-norm (norm_first = false, Vaswani et al. 2017):
//   x = norm1(x + dropout1(self_attn(x, x, x)))        multi-head self-attention
//                                                       (nn/attention/multihead_attention.hpp)
//   x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))
// pre-norm (norm_first = true):
//   x = x + dropout1(self_attn(norm1(x)))
//   x = x + dropout2(linear2(dropout(activation(linear1(norm2(x))))))
// Both in TransformerEncoderLayer::forward_with_attention (transformer_encoder.cpp).
//
// The decoder-only block of a GPT is a pre-norm encoder layer with a causal mask:
//   TransformerEncoderLayer block(TransformerLayerOptions{.d_model = 64, .nhead = 4,
//                                 .dim_feedforward = 256, .norm_first = true});
//   block(x, AttentionMask::causal(T, T, CausalAlignment::TopLeft));   // x (B, T, 64)
// and generates with a key/value cache through forward_step: only the new positions (B, t, E)
// go in, attending (causally, BottomRight) to every position in the cache and to each other;
// the result equals the causal forward over the whole sequence.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <attograd/nn/attention/mask.hpp>
#include <attograd/nn/attention/multihead_attention.hpp>
#include <attograd/nn/dropout.hpp>
#include <attograd/nn/layer_norm.hpp>
#include <attograd/nn/linear.hpp>
#include <attograd/nn/module.hpp>
#include <attograd/nn/module_list.hpp>
#include <attograd/nn/transformer/transformer_options.hpp>

namespace attograd::nn {

// The position-wise feed-forward block shared by encoder and decoder layers:
// linear2(dropout(activation(linear1(x)))).
Tensor transformer_feed_forward(const Tensor& x, const Linear& linear1, const Dropout& dropout, const Linear& linear2,
                                TransformerActivation activation);
// The self- or cross-attention of an encoder or decoder layer: d_model, nhead, dropout and
// batch_first from the layer's options, with biases, as PyTorch's.
MultiheadAttentionOptions layer_attention_options(const TransformerLayerOptions& options);
// The self-attention mask of a cached step: the t new positions of x_new (B, t, E) see every
// cached position and the new ones up to their own (causal, BottomRight: the last sees all).
AttentionMask causal_step_mask(const Tensor& x_new, bool batch_first, std::size_t cached);
// Throws std::invalid_argument (naming `who`) for zero sizes or d_model not divisible by nhead.
void check_transformer_layer_options(const char* who, const TransformerLayerOptions& options);

class TransformerEncoderLayer : public Module {
 public:
  explicit TransformerEncoderLayer(const TransformerLayerOptions& options);
  TransformerEncoderLayer(std::size_t d_model, std::size_t nhead);

  // src (B, T, E) (or (T, B, E)) -> the same shape. The mask (e.g. key padding, causal) is
  // resolved against the self-attention scores (B, H, T, T). forward computes no weights: it is
  // forward_with_attention(src, src_mask, AttentionWeights::None).output.
  Tensor forward(const Tensor& src, const AttentionMask& src_mask = {}) const;
  Tensor operator()(const Tensor& src, const AttentionMask& src_mask = {}) const { return forward(src, src_mask); }
  // The output and the self-attention weights (transformer_options.hpp), as values.
  // With a cache, src holds only the new positions (see forward_step).
  TransformerOutput forward_with_attention(const Tensor& src, const AttentionMask& src_mask = {},
                                           AttentionWeights weights = AttentionWeights::PerHead,
                                           KeyValueCache* cache = nullptr) const;

  // Decoder-only use: the next t positions src_new (B, t, E), causal over `cache` and themselves.
  Tensor forward_step(const Tensor& src_new, KeyValueCache& cache) const;
  TransformerOutput forward_step_with_attention(const Tensor& src_new, KeyValueCache& cache,
                                                AttentionWeights weights = AttentionWeights::PerHead) const;

  const TransformerLayerOptions& options() const { return options_; }
  std::string describe() const override;

  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2;
  std::shared_ptr<LayerNorm> norm1, norm2;

 private:
  void check_input(const Tensor& src, const KeyValueCache* cache) const;

  TransformerLayerOptions options_;
};

// One KeyValueCache per layer of a TransformerEncoder used decoder-only (a GPT's stack).
struct SelfAttentionCache {
  std::vector<KeyValueCache> layers;                                                   // filled by the first step
  std::size_t length() const { return layers.empty() ? 0 : layers.front().length(); }  // positions cached
  void reorder(const std::vector<std::size_t>& from);  // keeps hypotheses from[0], from[1], …
};

// num_layers independently initialised layers (PyTorch deep-copies one layer, so its layers
// start equal), then an optional final LayerNorm ("norm"), as nn.Transformer's encoder has.
class TransformerEncoder : public Module {
 public:
  TransformerEncoder(const TransformerLayerOptions& layer, std::size_t num_layers, bool final_norm = false);

  Tensor forward(const Tensor& src, const AttentionMask& mask = {}) const;  // (B, T, E) -> (B, T, E)
  Tensor operator()(const Tensor& src, const AttentionMask& mask = {}) const { return forward(src, mask); }
  // self_attention[l]: layer l's weights.
  TransformerOutput forward_with_attention(const Tensor& src, const AttentionMask& mask = {},
                                           AttentionWeights weights = AttentionWeights::PerHead,
                                           SelfAttentionCache* cache = nullptr) const;
  // Decoder-only use: every layer's forward_step, then the final norm.
  Tensor forward_step(const Tensor& src_new, SelfAttentionCache& cache) const;
  TransformerOutput forward_step_with_attention(const Tensor& src_new, SelfAttentionCache& cache,
                                                AttentionWeights weights = AttentionWeights::PerHead) const;
  std::string describe() const override;

  std::shared_ptr<ModuleList<TransformerEncoderLayer>> layers;
  std::shared_ptr<LayerNorm> norm;  // null without final_norm
};

}  // namespace attograd::nn
