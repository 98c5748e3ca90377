// TransformerEncoderLayer and TransformerEncoder, as torch.nn's (same parameter names, so
// "layers.0.self_attn.in_proj_weight", "layers.0.linear1.weight", "layers.0.norm1.weight" load).
//
// One layer, post-norm (norm_first = false, Vaswani et al. 2017):
//   x = norm1(x + dropout1(self_attn(x, x, x)))
//   x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))
// pre-norm (norm_first = true):
//   x = x + dropout1(self_attn(norm1(x)))
//   x = x + dropout2(linear2(dropout(activation(linear1(norm2(x))))))
#pragma once

#include <cstddef>
#include <memory>
#include <string>

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
// The self- or cross-attention of an encoder or decoder layer (with biases, as PyTorch's).
std::shared_ptr<MultiheadAttention> layer_attention(const TransformerLayerOptions& options);
// Throws std::invalid_argument (naming `who`) for zero sizes or d_model not divisible by nhead.
void check_transformer_layer_options(const char* who, const TransformerLayerOptions& options);

class TransformerEncoderLayer : public Module {
 public:
  explicit TransformerEncoderLayer(const TransformerLayerOptions& options);
  TransformerEncoderLayer(std::size_t d_model, std::size_t nhead, std::size_t dim_feedforward = 2048,
                          float dropout = 0.1f, TransformerActivation activation = TransformerActivation::ReLU,
                          float layer_norm_eps = 1e-5f, bool batch_first = true, bool norm_first = false);

  // src (B, T, E) (or (T, B, E)) -> the same shape. The mask (e.g. key padding, causal) is
  // resolved against the self-attention scores (B, H, T, T).
  Tensor forward(const Tensor& src, const AttentionMask& src_mask = {}) const;
  Tensor operator()(const Tensor& src, const AttentionMask& src_mask = {}) const { return forward(src, src_mask); }

  // The last forward's self-attention weights (B, T, T), averaged over heads and detached,
  // for plotting; undefined before the first forward.
  const Tensor& self_attention_weights() const { return self_attention_weights_; }

  const TransformerLayerOptions& options() const { return options_; }
  std::string describe() const override;

  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2;
  std::shared_ptr<LayerNorm> norm1, norm2;

 private:
  Tensor self_attention_block(const Tensor& x, const AttentionMask& mask) const;

  TransformerLayerOptions options_;
  mutable Tensor self_attention_weights_;  // a record for plotting, not state: forward stays const
};

// num_layers independently initialised layers (PyTorch deep-copies one layer, so its layers
// start equal), then an optional final LayerNorm ("norm"), as nn.Transformer's encoder has.
class TransformerEncoder : public Module {
 public:
  TransformerEncoder(const TransformerLayerOptions& layer, std::size_t num_layers, bool final_norm = false);

  Tensor forward(const Tensor& src, const AttentionMask& mask = {}) const;  // (B, T, E) -> (B, T, E)
  Tensor operator()(const Tensor& src, const AttentionMask& mask = {}) const { return forward(src, mask); }
  std::string describe() const override;

  std::shared_ptr<ModuleList<TransformerEncoderLayer>> layers;
  std::shared_ptr<LayerNorm> norm;  // null without final_norm
};

}  // namespace attograd::nn
