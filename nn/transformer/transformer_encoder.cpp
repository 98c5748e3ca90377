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

std::shared_ptr<MultiheadAttention> layer_attention(const TransformerLayerOptions& o) {
  return std::make_shared<MultiheadAttention>(o.d_model, o.nhead, o.dropout, /*bias=*/true, 0, 0, o.batch_first);
}

TransformerEncoderLayer::TransformerEncoderLayer(std::size_t d_model, std::size_t nhead, std::size_t dim_feedforward,
                                                 float dropout_p, TransformerActivation activation,
                                                 float layer_norm_eps, bool batch_first, bool norm_first)
    : TransformerEncoderLayer(TransformerLayerOptions{d_model, nhead, dim_feedforward, dropout_p, activation,
                                                      layer_norm_eps, batch_first, norm_first}) {}

TransformerEncoderLayer::TransformerEncoderLayer(const TransformerLayerOptions& options) : options_(options) {
  check_transformer_layer_options("TransformerEncoderLayer", options);
  const std::size_t E = options.d_model, F = options.dim_feedforward;
  // Registered in PyTorch's order, so state dicts list the same keys in the same order.
  self_attn = register_module("self_attn", layer_attention(options));
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

Tensor TransformerEncoderLayer::self_attention_block(const Tensor& x, const AttentionMask& mask) const {
  auto [out, weights] = self_attn->forward(x, x, x, mask);  // (B, T, E), (B, T, T)
  self_attention_weights_ = weights.detach();
  return dropout1->forward(out);  // (B, T, E)
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const AttentionMask& src_mask) const {
  if (src.dim() != 3 || src.shape()[2] != options_.d_model)
    throw std::invalid_argument(fmt::format("TransformerEncoderLayer: expected src of shape {} with E = {}, got {}",
                                            options_.batch_first ? "(B, T, E)" : "(T, B, E)", options_.d_model,
                                            shape_str(src.shape())));
  auto feed_forward = [this](const Tensor& x) {
    return dropout2->forward(transformer_feed_forward(x, *linear1, *dropout, *linear2, options_.activation));
  };
  Tensor x = src;  // (B, T, E)
  if (options_.norm_first) {
    x = x + self_attention_block(norm1->forward(x), src_mask);  // (B, T, E)
    x = x + feed_forward(norm2->forward(x));                    // (B, T, E)
  } else {
    x = norm1->forward(x + self_attention_block(x, src_mask));  // (B, T, E)
    x = norm2->forward(x + feed_forward(x));                    // (B, T, E)
  }
  return x;
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
  Tensor x = src;  // (B, T, E)
  for (const auto& layer : *layers) x = layer->forward(x, mask);
  return norm ? norm->forward(x) : x;
}

}  // namespace attograd::nn
