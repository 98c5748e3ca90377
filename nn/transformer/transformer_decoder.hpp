// TransformerDecoderLayer and TransformerDecoder, as torch.nn's (same parameter names:
// "layers.0.self_attn.…", "layers.0.multihead_attn.…", "layers.0.norm3.weight"), plus
// incremental decoding with a key/value cache.
//
// One layer, post-norm (norm_first = false):
//   x = norm1(x + dropout1(self_attn(x, x, x)))              masked self-attention
//   x = norm2(x + dropout2(multihead_attn(x, memory, memory))) cross-attention to the encoder
//   x = norm3(x + dropout3(feed_forward(x)))
// pre-norm (norm_first = true): x = x + block(norm_k(x)) for each of the three blocks.
//
// All three in TransformerDecoderLayer::forward_with_attention (transformer_decoder.cpp).
//
// Incremental decoding. Generating token by token with forward() recomputes every earlier
// position at each step. forward_step() instead takes only the new positions (B, t, E) and a
// DecoderCache: each layer's self-attention keys and values are appended to the cache, the new
// queries attend over all cached positions (a causal mask with BottomRight alignment, so the
// newest query sees everything before it), and the cross-attention keys and values are
// projected from memory once, on the first step. Because every other part of a layer works
// position by position, the steps give the same result as one causal forward over the whole
// sequence (tests/nn/test_transformer.cpp checks it).
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

struct DecoderLayerCache {
  KeyValueCache self;                                             // (B, t, E): every position decoded so far
  KeyValueCache cross{.keys = {}, .values = {}, .grows = false};  // (B, S, E): projected from memory once
};

struct DecoderCache {
  std::vector<DecoderLayerCache> layers;  // one per decoder layer, filled by the first step
  std::size_t length() const { return layers.empty() ? 0 : layers.front().self.length(); }  // positions cached
  // Keeps hypotheses from[0], from[1], … in that order (beam search's StepModel::reorder).
  void reorder(const std::vector<std::size_t>& from);
};

class TransformerDecoderLayer : public Module {
 public:
  explicit TransformerDecoderLayer(const TransformerLayerOptions& options);
  TransformerDecoderLayer(std::size_t d_model, std::size_t nhead);

  // tgt (B, T, E), memory (B, S, E) (or (T, B, E), (S, B, E)) -> (B, T, E). tgt_mask is resolved
  // against the self-attention scores (B, H, T, T) - pass a causal mask here to decode;
  // memory_mask against the cross-attention scores (B, H, T, S) (e.g. source key padding).
  // forward computes no weights: it is forward_with_attention(…, AttentionWeights::None).output.
  Tensor forward(const Tensor& tgt, const Tensor& memory, const AttentionMask& tgt_mask = {},
                 const AttentionMask& memory_mask = {}) const;
  Tensor operator()(const Tensor& tgt, const Tensor& memory, const AttentionMask& tgt_mask = {},
                    const AttentionMask& memory_mask = {}) const {
    return forward(tgt, memory, tgt_mask, memory_mask);
  }
  // The output and the self- and cross-attention weights (transformer_options.hpp), as values.
  // With a cache, tgt holds only the new positions (see forward_step).
  TransformerOutput forward_with_attention(const Tensor& tgt, const Tensor& memory, const AttentionMask& tgt_mask = {},
                                           const AttentionMask& memory_mask = {},
                                           AttentionWeights weights = AttentionWeights::PerHead,
                                           DecoderLayerCache* cache = nullptr) const;

  // The next t positions tgt_new (B, t, E), given everything earlier in `cache`; see the top.
  Tensor forward_step(const Tensor& tgt_new, const Tensor& memory, DecoderLayerCache& cache,
                      const AttentionMask& memory_mask = {}) const;
  TransformerOutput forward_step_with_attention(const Tensor& tgt_new, const Tensor& memory, DecoderLayerCache& cache,
                                                const AttentionMask& memory_mask = {},
                                                AttentionWeights weights = AttentionWeights::PerHead) const;

  const TransformerLayerOptions& options() const { return options_; }
  std::string describe() const override;

  std::shared_ptr<MultiheadAttention> self_attn, multihead_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2, dropout3;
  std::shared_ptr<LayerNorm> norm1, norm2, norm3;

 private:
  void check_inputs(const Tensor& tgt, const Tensor& memory, const DecoderLayerCache* cache) const;

  TransformerLayerOptions options_;
};

class TransformerDecoder : public Module {
 public:
  TransformerDecoder(const TransformerLayerOptions& layer, std::size_t num_layers, bool final_norm = false);

  Tensor forward(const Tensor& tgt, const Tensor& memory, const AttentionMask& tgt_mask = {},
                 const AttentionMask& memory_mask = {}) const;  // (B, T, E) -> (B, T, E)
  Tensor operator()(const Tensor& tgt, const Tensor& memory, const AttentionMask& tgt_mask = {},
                    const AttentionMask& memory_mask = {}) const {
    return forward(tgt, memory, tgt_mask, memory_mask);
  }
  // self_attention[l] and cross_attention[l]: layer l's weights.
  TransformerOutput forward_with_attention(const Tensor& tgt, const Tensor& memory, const AttentionMask& tgt_mask = {},
                                           const AttentionMask& memory_mask = {},
                                           AttentionWeights weights = AttentionWeights::PerHead,
                                           DecoderCache* cache = nullptr) const;
  Tensor forward_step(const Tensor& tgt_new, const Tensor& memory, DecoderCache& cache,
                      const AttentionMask& memory_mask = {}) const;  // (B, t, E) -> (B, t, E)
  TransformerOutput forward_step_with_attention(const Tensor& tgt_new, const Tensor& memory, DecoderCache& cache,
                                                const AttentionMask& memory_mask = {},
                                                AttentionWeights weights = AttentionWeights::PerHead) const;
  std::string describe() const override;

  std::shared_ptr<ModuleList<TransformerDecoderLayer>> layers;
  std::shared_ptr<LayerNorm> norm;  // null without final_norm
};

}  // namespace attograd::nn
