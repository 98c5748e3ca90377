// The Transformer encoder: self-attention and feed-forward blocks with residuals and LayerNorm.
#include <attograd/nn/transformer/transformer_encoder.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/elementwise.hpp>

namespace attograd::nn {

Tensor transformer_feed_forward(const Tensor& x, const Linear& linear1, const Dropout& dropout, const Linear& linear2,
                                TransformerActivation activation) {
  const Tensor hidden = linear1.forward(x);                                                          // (B, T, F)
  const Tensor activated = activation == TransformerActivation::ReLU ? relu(hidden) : gelu(hidden);  // (B, T, F)
  return linear2.forward(dropout.forward(activated));                                                // (B, T, E)
}

void check_transformer_layer_options(const char* who, const TransformerLayerOptions& o) {
  if (o.d_model == 0 || o.nhead == 0 || o.dim_feedforward == 0)
    throw std::invalid_argument(
        fmt::format("{}: d_model, nhead and dim_feedforward must be positive, got {}, {} and {}", who, o.d_model,
                    o.nhead, o.dim_feedforward));
  if (o.d_model % o.nhead != 0)
    throw std::invalid_argument(fmt::format("{}: d_model {} is not divisible by nhead {}", who, o.d_model, o.nhead));
}

MultiheadAttentionOptions layer_attention_options(const TransformerLayerOptions& o) {
  return {.embed_dim = o.d_model, .num_heads = o.nhead, .dropout = o.dropout, .batch_first = o.batch_first};
}

TransformerEncoderLayer::TransformerEncoderLayer(std::size_t d_model, std::size_t nhead)
    : TransformerEncoderLayer(TransformerLayerOptions{.d_model = d_model, .nhead = nhead}) {}

TransformerEncoderLayer::TransformerEncoderLayer(const TransformerLayerOptions& options) : options_(options) {
  check_transformer_layer_options("TransformerEncoderLayer", options);
  const std::size_t E = options.d_model, F = options.dim_feedforward;
  // Registered in PyTorch's order, so state dicts list the same keys in the same order.
  self_attn = register_module("self_attn", std::make_shared<MultiheadAttention>(layer_attention_options(options)));
  linear1 = register_module("linear1", std::make_shared<Linear>(E, F));
  dropout = register_module("dropout", std::make_shared<Dropout>(options.dropout));
  linear2 = register_module("linear2", std::make_shared<Linear>(F, E));
  norm1 = register_module("norm1", std::make_shared<LayerNorm>(E, options.layer_norm_eps));
  norm2 = register_module("norm2", std::make_shared<LayerNorm>(E, options.layer_norm_eps));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(options.dropout));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(options.dropout));
}

std::string TransformerEncoderLayer::describe() const {
  return fmt::format("TransformerEncoderLayer(d_model={}, nhead={}, dim_feedforward={}, dropout={}, norm_first={})",
                     options_.d_model, options_.nhead, options_.dim_feedforward, options_.dropout, options_.norm_first);
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const AttentionMask& src_mask) const {
  return forward_with_attention(src, src_mask, AttentionWeights::None).output;
}

TransformerOutput TransformerEncoderLayer::forward_with_attention(const Tensor& src, const AttentionMask& src_mask,
                                                                  AttentionWeights weights,
                                                                  KeyValueCache* cache) const {
  check_input(src, cache);
  Tensor attention;  // (B, H, T, T) or (B, T, T); undefined for AttentionWeights::None
  auto self_attention = [&](const Tensor& x) {
    auto [out, w] = self_attn->forward(x, x, x, src_mask, weights != AttentionWeights::None,
                                       weights == AttentionWeights::Averaged, cache);  // (B, T, E)
    attention = w;
    return dropout1->forward(out);
  };
  auto feed_forward = [this](const Tensor& x) {
    return dropout2->forward(transformer_feed_forward(x, *linear1, *dropout, *linear2, options_.activation));
  };
  Tensor x = src;  // (B, T, E)
  if (options_.norm_first) {
    x = x + self_attention(norm1->forward(x));  // (B, T, E)
    x = x + feed_forward(norm2->forward(x));    // (B, T, E)
  } else {
    x = norm1->forward(x + self_attention(x));  // (B, T, E)
    x = norm2->forward(x + feed_forward(x));    // (B, T, E)
  }
  if (weights == AttentionWeights::None) return {x, {}, {}};
  return {x, {attention}, {}};
}

void TransformerEncoderLayer::check_input(const Tensor& src, const KeyValueCache* cache) const {
  const std::size_t b = options_.batch_first ? 0 : 1;
  if (src.dim() != 3 || src.shape()[2] != options_.d_model)
    throw std::invalid_argument(fmt::format("TransformerEncoderLayer: expected {} of shape {} with E = {}, got {}",
                                            cache ? "src_new" : "src", options_.batch_first ? "(B, T, E)" : "(T, B, E)",
                                            options_.d_model, shape_str(src.shape())));
  if (cache && cache->keys.defined() && cache->keys.shape()[0] != src.shape()[b])
    throw std::invalid_argument(fmt::format(
        "TransformerEncoderLayer::forward_step: the cache was filled for a batch of {} but this step has a batch of {} "
        "(src_new {}); start a new cache for a new batch",
        cache->keys.shape()[0], src.shape()[b], shape_str(src.shape())));
}

AttentionMask causal_step_mask(const Tensor& x_new, bool batch_first, std::size_t cached) {
  const std::size_t t = x_new.dim() == 3 ? x_new.shape()[batch_first ? 1 : 0] : 0;
  return AttentionMask::causal(t, cached + t, CausalAlignment::BottomRight);
}

Tensor TransformerEncoderLayer::forward_step(const Tensor& src_new, KeyValueCache& cache) const {
  return forward_step_with_attention(src_new, cache, AttentionWeights::None).output;
}

TransformerOutput TransformerEncoderLayer::forward_step_with_attention(const Tensor& src_new, KeyValueCache& cache,
                                                                       AttentionWeights weights) const {
  return forward_with_attention(src_new, causal_step_mask(src_new, options_.batch_first, cache.length()), weights,
                                &cache);
}

void SelfAttentionCache::reorder(const std::vector<std::size_t>& from) {
  for (KeyValueCache& layer : layers) layer.reorder(from);
}

TransformerEncoder::TransformerEncoder(const TransformerLayerOptions& layer, std::size_t num_layers, bool final_norm) {
  layers = register_module("layers", std::make_shared<ModuleList<TransformerEncoderLayer>>());
  for (std::size_t i = 0; i < num_layers; ++i) layers->push_back(std::make_shared<TransformerEncoderLayer>(layer));
  if (final_norm) norm = register_module("norm", std::make_shared<LayerNorm>(layer.d_model, layer.layer_norm_eps));
}

std::string TransformerEncoder::describe() const {
  return fmt::format("TransformerEncoder(num_layers={}, final_norm={})", layers->size(), norm != nullptr);
}

Tensor TransformerEncoder::forward(const Tensor& src, const AttentionMask& mask) const {
  return forward_with_attention(src, mask, AttentionWeights::None).output;
}

TransformerOutput TransformerEncoder::forward_with_attention(const Tensor& src, const AttentionMask& mask,
                                                             AttentionWeights weights,
                                                             SelfAttentionCache* cache) const {
  if (cache && cache->layers.empty()) cache->layers.resize(layers->size());
  if (cache && cache->layers.size() != layers->size())
    throw std::invalid_argument(
        fmt::format("TransformerEncoder::forward_step: the cache holds {} layers but the encoder has {}",
                    cache->layers.size(), layers->size()));
  TransformerOutput result{src, {}, {}};  // (B, T, E)
  for (std::size_t i = 0; i < layers->size(); ++i) {
    TransformerOutput out =
        (*layers)[i].forward_with_attention(result.output, mask, weights, cache ? &cache->layers[i] : nullptr);
    result.output = out.output;
    for (Tensor& w : out.self_attention) result.self_attention.push_back(w);
  }
  if (norm) result.output = norm->forward(result.output);
  return result;
}

Tensor TransformerEncoder::forward_step(const Tensor& src_new, SelfAttentionCache& cache) const {
  return forward_step_with_attention(src_new, cache, AttentionWeights::None).output;
}

TransformerOutput TransformerEncoder::forward_step_with_attention(const Tensor& src_new, SelfAttentionCache& cache,
                                                                  AttentionWeights weights) const {
  const bool batch_first = layers->size() == 0 || (*layers)[0].options().batch_first;
  return forward_with_attention(src_new, causal_step_mask(src_new, batch_first, cache.length()), weights, &cache);
}

}  // namespace attograd::nn
