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
  MultiheadAttention::KeyValue self;   // (B, H, t, D): every position decoded so far
  MultiheadAttention::KeyValue cross;  // (B, H, S, D): projected from memory on the first step
};

struct DecoderCache {
  std::vector<DecoderLayerCache> layers;  // one per decoder layer, filled by the first step
  std::size_t length() const { return layers.empty() ? 0 : layers.front().self.length(); }  // positions cached
};

class TransformerDecoderLayer : public Module {
 public:
  explicit TransformerDecoderLayer(const TransformerLayerOptions& options);
  TransformerDecoderLayer(std::size_t d_model, std::size_t nhead, std::size_t dim_feedforward = 2048,
                          float dropout = 0.1f, TransformerActivation activation = TransformerActivation::ReLU,
                          float layer_norm_eps = 1e-5f, bool batch_first = true, bool norm_first = false);

  // tgt (B, T, E), memory (B, S, E) (or (T, B, E), (S, B, E)) -> (B, T, E). tgt_mask is resolved
  // against the self-attention scores (B, H, T, T) - pass a causal mask here to decode;
  // memory_mask against the cross-attention scores (B, H, T, S) (e.g. source key padding).
  Tensor forward(const Tensor& tgt, const Tensor& memory, const AttentionMask& tgt_mask = {},
                 const AttentionMask& memory_mask = {}) const;
  Tensor operator()(const Tensor& tgt, const Tensor& memory, const AttentionMask& tgt_mask = {},
                    const AttentionMask& memory_mask = {}) const {
    return forward(tgt, memory, tgt_mask, memory_mask);
  }

  // The next t positions tgt_new (B, t, E), given everything earlier in `cache`; see the top.
  Tensor forward_step(const Tensor& tgt_new, const Tensor& memory, DecoderLayerCache& cache,
                      const AttentionMask& memory_mask = {}) const;

  // The last forward's weights, averaged over heads and detached, for plotting.
  const Tensor& self_attention_weights() const { return self_attention_weights_; }    // (B, T, T)
  const Tensor& cross_attention_weights() const { return cross_attention_weights_; }  // (B, T, S)

  const TransformerLayerOptions& options() const { return options_; }
  std::string describe() const override;

  std::shared_ptr<MultiheadAttention> self_attn, multihead_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2, dropout3;
  std::shared_ptr<LayerNorm> norm1, norm2, norm3;

 private:
  void check_inputs(const char* what, const Tensor& tgt, const Tensor& memory) const;
  // The three residual blocks around the given attention functions, in either norm order.
  template <class SelfAttend, class CrossAttend>
  Tensor layer(const Tensor& x, SelfAttend self_attend, CrossAttend cross_attend) const;

  TransformerLayerOptions options_;
  mutable Tensor self_attention_weights_, cross_attention_weights_;  // records for plotting, not state
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
  Tensor forward_step(const Tensor& tgt_new, const Tensor& memory, DecoderCache& cache,
                      const AttentionMask& memory_mask = {}) const;  // (B, t, E) -> (B, t, E)
  std::string describe() const override;

  std::shared_ptr<ModuleList<TransformerDecoderLayer>> layers;
  std::shared_ptr<LayerNorm> norm;  // null without final_norm
};

}  // namespace attograd::nn
