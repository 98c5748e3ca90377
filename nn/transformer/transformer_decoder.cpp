// The Transformer decoder: masked self-attention, cross-attention and feed-forward blocks, run
// over a whole target sequence or, with a cache, over a few new positions at a time.
#include <attograd/nn/transformer/transformer_decoder.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/elementwise.hpp>
#include <attograd/nn/transformer/transformer_encoder.hpp>

namespace attograd::nn {

TransformerDecoderLayer::TransformerDecoderLayer(std::size_t d_model, std::size_t nhead)
    : TransformerDecoderLayer(TransformerLayerOptions{.d_model = d_model, .nhead = nhead}) {}

TransformerDecoderLayer::TransformerDecoderLayer(const TransformerLayerOptions& options) : options_(options) {
  check_transformer_layer_options("TransformerDecoderLayer", options);
  const std::size_t E = options.d_model, F = options.dim_feedforward;
  // Registered in PyTorch's order, so state dicts list the same keys in the same order.
  self_attn = register_module("self_attn", std::make_shared<MultiheadAttention>(layer_attention_options(options)));
  multihead_attn =
      register_module("multihead_attn", std::make_shared<MultiheadAttention>(layer_attention_options(options)));
  linear1 = register_module("linear1", std::make_shared<Linear>(E, F));
  dropout = register_module("dropout", std::make_shared<Dropout>(options.dropout));
  linear2 = register_module("linear2", std::make_shared<Linear>(F, E));
  norm1 = register_module("norm1", std::make_shared<LayerNorm>(E, options.layer_norm_eps));
  norm2 = register_module("norm2", std::make_shared<LayerNorm>(E, options.layer_norm_eps));
  norm3 = register_module("norm3", std::make_shared<LayerNorm>(E, options.layer_norm_eps));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(options.dropout));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(options.dropout));
  dropout3 = register_module("dropout3", std::make_shared<Dropout>(options.dropout));
}

std::string TransformerDecoderLayer::describe() const {
  return fmt::format("TransformerDecoderLayer(d_model={}, nhead={}, dim_feedforward={}, dropout={}, norm_first={})",
                     options_.d_model, options_.nhead, options_.dim_feedforward, options_.dropout, options_.norm_first);
}

void TransformerDecoderLayer::check_inputs(const Tensor& tgt, const Tensor& memory,
                                           const DecoderLayerCache* cache) const {
  const std::size_t E = options_.d_model, b = options_.batch_first ? 0 : 1;
  const char* what = cache ? "tgt_new" : "tgt";
  if (tgt.dim() != 3 || memory.dim() != 3 || tgt.shape()[2] != E || memory.shape()[2] != E ||
      tgt.shape()[b] != memory.shape()[b])
    throw std::invalid_argument(fmt::format(
        "TransformerDecoderLayer: expected {} {} and memory {} with E = {} and the same B, got {} and {}", what,
        options_.batch_first ? "(B, T, E)" : "(T, B, E)", options_.batch_first ? "(B, S, E)" : "(S, B, E)", E,
        shape_str(tgt.shape()), shape_str(memory.shape())));
  if (cache && cache->self.keys.defined() && cache->self.keys.shape()[0] != tgt.shape()[b])
    throw std::invalid_argument(fmt::format(
        "TransformerDecoderLayer::forward_step: the cache was filled for a batch of {} but this step has a batch of {} "
        "(tgt_new {}); start a new DecoderCache for a new batch",
        cache->self.keys.shape()[0], tgt.shape()[b], shape_str(tgt.shape())));
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory, const AttentionMask& tgt_mask,
                                        const AttentionMask& memory_mask) const {
  return forward_with_attention(tgt, memory, tgt_mask, memory_mask, AttentionWeights::None).output;
}

TransformerOutput TransformerDecoderLayer::forward_with_attention(const Tensor& tgt, const Tensor& memory,
                                                                  const AttentionMask& tgt_mask,
                                                                  const AttentionMask& memory_mask,
                                                                  AttentionWeights weights,
                                                                  DecoderLayerCache* cache) const {
  check_inputs(tgt, memory, cache);
  const bool need = weights != AttentionWeights::None, average = weights == AttentionWeights::Averaged;
  Tensor self_weights, cross_weights;  // (B, H, T, T) and (B, H, T, S), or averaged over H
  auto self_attention = [&](const Tensor& x) {
    auto [out, w] = self_attn->forward(x, x, x, tgt_mask, need, average, cache ? &cache->self : nullptr);
    self_weights = w;
    return dropout1->forward(out);  // (B, T, E)
  };
  auto cross_attention = [&](const Tensor& x) {
    auto [out, w] =
        multihead_attn->forward(x, memory, memory, memory_mask, need, average, cache ? &cache->cross : nullptr);
    cross_weights = w;
    return dropout2->forward(out);  // (B, T, E)
  };
  auto feed_forward = [this](const Tensor& x) {
    return dropout3->forward(transformer_feed_forward(x, *linear1, *dropout, *linear2, options_.activation));
  };
  Tensor x = tgt;  // (B, T, E)
  if (options_.norm_first) {
    x = x + self_attention(norm1->forward(x));   // (B, T, E)
    x = x + cross_attention(norm2->forward(x));  // (B, T, E)
    x = x + feed_forward(norm3->forward(x));     // (B, T, E)
  } else {
    x = norm1->forward(x + self_attention(x));   // (B, T, E)
    x = norm2->forward(x + cross_attention(x));  // (B, T, E)
    x = norm3->forward(x + feed_forward(x));     // (B, T, E)
  }
  if (!need) return {x, {}, {}};
  return {x, {self_weights}, {cross_weights}};
}

Tensor TransformerDecoderLayer::forward_step(const Tensor& tgt_new, const Tensor& memory, DecoderLayerCache& cache,
                                             const AttentionMask& memory_mask) const {
  return forward_step_with_attention(tgt_new, memory, cache, memory_mask, AttentionWeights::None).output;
}

TransformerOutput TransformerDecoderLayer::forward_step_with_attention(const Tensor& tgt_new, const Tensor& memory,
                                                                       DecoderLayerCache& cache,
                                                                       const AttentionMask& memory_mask,
                                                                       AttentionWeights weights) const {
  const AttentionMask causal = causal_step_mask(tgt_new, options_.batch_first, cache.self.length());
  return forward_with_attention(tgt_new, memory, causal, memory_mask, weights, &cache);
}

void DecoderCache::reorder(const std::vector<std::size_t>& from) {
  for (DecoderLayerCache& layer : layers) {
    layer.self.reorder(from);
    layer.cross.reorder(from);
  }
}

TransformerDecoder::TransformerDecoder(const TransformerLayerOptions& layer, std::size_t num_layers, bool final_norm) {
  layers = register_module("layers", std::make_shared<ModuleList<TransformerDecoderLayer>>());
  for (std::size_t i = 0; i < num_layers; ++i) layers->push_back(std::make_shared<TransformerDecoderLayer>(layer));
  if (final_norm) norm = register_module("norm", std::make_shared<LayerNorm>(layer.d_model, layer.layer_norm_eps));
}

std::string TransformerDecoder::describe() const {
  return fmt::format("TransformerDecoder(num_layers={}, final_norm={})", layers->size(), norm != nullptr);
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory, const AttentionMask& tgt_mask,
                                   const AttentionMask& memory_mask) const {
  return forward_with_attention(tgt, memory, tgt_mask, memory_mask, AttentionWeights::None).output;
}

TransformerOutput TransformerDecoder::forward_with_attention(const Tensor& tgt, const Tensor& memory,
                                                             const AttentionMask& tgt_mask,
                                                             const AttentionMask& memory_mask, AttentionWeights weights,
                                                             DecoderCache* cache) const {
  if (cache && cache->layers.empty()) cache->layers.resize(layers->size());
  if (cache && cache->layers.size() != layers->size())
    throw std::invalid_argument(
        fmt::format("TransformerDecoder::forward_step: the cache holds {} layers but the decoder has {}",
                    cache->layers.size(), layers->size()));
  TransformerOutput result{tgt, {}, {}};  // (B, T, E)
  for (std::size_t i = 0; i < layers->size(); ++i) {
    TransformerOutput out = (*layers)[i].forward_with_attention(result.output, memory, tgt_mask, memory_mask, weights,
                                                                cache ? &cache->layers[i] : nullptr);
    result.output = out.output;
    for (Tensor& w : out.self_attention) result.self_attention.push_back(w);
    for (Tensor& w : out.cross_attention) result.cross_attention.push_back(w);
  }
  if (norm) result.output = norm->forward(result.output);
  return result;
}

Tensor TransformerDecoder::forward_step(const Tensor& tgt_new, const Tensor& memory, DecoderCache& cache,
                                        const AttentionMask& memory_mask) const {
  return forward_step_with_attention(tgt_new, memory, cache, memory_mask, AttentionWeights::None).output;
}

TransformerOutput TransformerDecoder::forward_step_with_attention(const Tensor& tgt_new, const Tensor& memory,
                                                                  DecoderCache& cache, const AttentionMask& memory_mask,
                                                                  AttentionWeights weights) const {
  const bool batch_first = layers->size() == 0 || (*layers)[0].options().batch_first;
  const AttentionMask causal = causal_step_mask(tgt_new, batch_first, cache.length());
  return forward_with_attention(tgt_new, memory, causal, memory_mask, weights, &cache);
}

}  // namespace attograd::nn
