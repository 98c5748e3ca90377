// The Transformer decoder: masked self-attention, cross-attention and feed-forward blocks, run
// over a whole target sequence (forward) or a few new positions with a cache (forward_step).
#include <attograd/nn/transformer/transformer_decoder.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/shape_ops.hpp>
#include <attograd/nn/transformer/transformer_encoder.hpp>

namespace attograd::nn {

TransformerDecoderLayer::TransformerDecoderLayer(std::size_t d_model, std::size_t nhead, std::size_t dim_feedforward,
                                                 float dropout_p, TransformerActivation activation,
                                                 float layer_norm_eps, bool batch_first, bool norm_first)
    : TransformerDecoderLayer(TransformerLayerOptions{d_model, nhead, dim_feedforward, dropout_p, activation,
                                                      layer_norm_eps, batch_first, norm_first}) {}

TransformerDecoderLayer::TransformerDecoderLayer(const TransformerLayerOptions& options) : options_(options) {
  check_transformer_layer_options("TransformerDecoderLayer", options);
  const std::size_t E = options.d_model, F = options.dim_feedforward;
  // Registered in PyTorch's order, so state dicts list the same keys in the same order.
  self_attn = register_module("self_attn", layer_attention(options));
  multihead_attn = register_module("multihead_attn", layer_attention(options));
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

void TransformerDecoderLayer::check_inputs(const char* what, const Tensor& tgt, const Tensor& memory) const {
  const std::size_t E = options_.d_model, b = options_.batch_first ? 0 : 1;
  if (tgt.dim() != 3 || memory.dim() != 3 || tgt.shape()[2] != E || memory.shape()[2] != E ||
      tgt.shape()[b] != memory.shape()[b])
    throw std::invalid_argument(fmt::format(
        "TransformerDecoderLayer{}: expected {} {} and memory {} with E = {} and the same B, got {} and {}", what,
        what[0] ? "tgt_new" : "tgt", options_.batch_first ? "(B, T, E)" : "(T, B, E)",
        options_.batch_first ? "(B, S, E)" : "(S, B, E)", E, shape_str(tgt.shape()), shape_str(memory.shape())));
}

// self_attend(h) and cross_attend(h) each return an attention output (B, T, E) for input h.
template <class SelfAttend, class CrossAttend>
Tensor TransformerDecoderLayer::layer(const Tensor& x_in, SelfAttend self_attend, CrossAttend cross_attend) const {
  auto feed_forward = [this](const Tensor& h) {
    return dropout3->forward(transformer_feed_forward(h, *linear1, *dropout, *linear2, options_.activation));
  };
  auto self_block = [&](const Tensor& h) { return dropout1->forward(self_attend(h)); };
  auto cross_block = [&](const Tensor& h) { return dropout2->forward(cross_attend(h)); };
  Tensor x = x_in;  // (B, T, E)
  if (options_.norm_first) {
    x = x + self_block(norm1->forward(x));    // (B, T, E)
    x = x + cross_block(norm2->forward(x));   // (B, T, E)
    x = x + feed_forward(norm3->forward(x));  // (B, T, E)
  } else {
    x = norm1->forward(x + self_block(x));    // (B, T, E)
    x = norm2->forward(x + cross_block(x));   // (B, T, E)
    x = norm3->forward(x + feed_forward(x));  // (B, T, E)
  }
  return x;
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory, const AttentionMask& tgt_mask,
                                        const AttentionMask& memory_mask) const {
  check_inputs("", tgt, memory);
  auto self_attend = [&](const Tensor& h) {
    auto [out, weights] = self_attn->forward(h, h, h, tgt_mask);  // (B, T, E), (B, T, T)
    self_attention_weights_ = weights.detach();
    return out;
  };
  auto cross_attend = [&](const Tensor& h) {
    auto [out, weights] = multihead_attn->forward(h, memory, memory, memory_mask);  // (B, T, E), (B, T, S)
    cross_attention_weights_ = weights.detach();
    return out;
  };
  return layer(tgt, self_attend, cross_attend);
}

Tensor TransformerDecoderLayer::forward_step(const Tensor& tgt_new, const Tensor& memory, DecoderLayerCache& cache,
                                             const AttentionMask& memory_mask) const {
  check_inputs("::forward_step", tgt_new, memory);
  auto batch_major = [this](const Tensor& x) { return options_.batch_first ? x : transpose(x, 0, 1); };
  const Tensor x = batch_major(tgt_new);   // (B, t, E)
  const Tensor mem = batch_major(memory);  // (B, S, E)
  const std::size_t t = x.shape()[1];
  if (cache.self.keys.defined() && cache.self.keys.shape()[0] != x.shape()[0])
    throw std::invalid_argument(fmt::format(
        "TransformerDecoderLayer::forward_step: the cache was filled for a batch of {} but this step has a batch of {} "
        "(tgt_new {}); start a new DecoderCache for a new batch",
        cache.self.keys.shape()[0], x.shape()[0], shape_str(tgt_new.shape())));
  auto self_attend = [&](const Tensor& h) {
    cache.self = MultiheadAttention::append(cache.self, self_attn->project_key_value(h, h));  // (B, H, cached + t, D)
    const AttentionMask causal = AttentionMask::causal(t, cache.self.length(), CausalAlignment::BottomRight);
    auto [out, weights] =
        self_attn->attend(self_attn->project_query(h), cache.self, causal);  // (B, t, E), (B, t, cached + t)
    self_attention_weights_ = weights.detach();
    return out;
  };
  auto cross_attend = [&](const Tensor& h) {
    if (!cache.cross.keys.defined()) cache.cross = multihead_attn->project_key_value(mem, mem);  // (B, H, S, D)
    auto [out, weights] =
        multihead_attn->attend(multihead_attn->project_query(h), cache.cross, memory_mask);  // (B, t, E), (B, t, S)
    cross_attention_weights_ = weights.detach();
    return out;
  };
  const Tensor y = layer(x, self_attend, cross_attend);  // (B, t, E)
  return options_.batch_first ? y : transpose(y, 0, 1);
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
  Tensor x = tgt;  // (B, T, E)
  for (const auto& layer : *layers) x = layer->forward(x, memory, tgt_mask, memory_mask);
  return norm ? norm->forward(x) : x;
}

Tensor TransformerDecoder::forward_step(const Tensor& tgt_new, const Tensor& memory, DecoderCache& cache,
                                        const AttentionMask& memory_mask) const {
  if (cache.layers.empty()) cache.layers.resize(layers->size());
  if (cache.layers.size() != layers->size())
    throw std::invalid_argument(
        fmt::format("TransformerDecoder::forward_step: the cache holds {} layers but the decoder has {}",
                    cache.layers.size(), layers->size()));
  Tensor x = tgt_new;  // (B, t, E)
  for (std::size_t i = 0; i < layers->size(); ++i)
    x = (*layers)[i].forward_step(x, memory, cache.layers[i], memory_mask);
  return norm ? norm->forward(x) : x;
}

}  // namespace attograd::nn
