// Transformer: an encoder stack and a decoder stack, each with a final LayerNorm.
#include <attograd/nn/transformer/transformer.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/nn/init.hpp>

namespace attograd::nn {

Transformer::Transformer(std::size_t d_model, std::size_t nhead, std::size_t num_encoder_layers,
                         std::size_t num_decoder_layers, std::size_t dim_feedforward, float dropout,
                         TransformerActivation activation, float layer_norm_eps, bool batch_first, bool norm_first)
    : Transformer(TransformerOptions{d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward, dropout,
                                     activation, layer_norm_eps, batch_first, norm_first}) {}

Transformer::Transformer(const TransformerOptions& options) : options_(options) {
  const TransformerLayerOptions layer{options.d_model,     options.nhead,      options.dim_feedforward,
                                      options.dropout,     options.activation, options.layer_norm_eps,
                                      options.batch_first, options.norm_first};
  check_transformer_layer_options("Transformer", layer);
  encoder = register_module("encoder", std::make_shared<TransformerEncoder>(layer, options.num_encoder_layers, true));
  decoder = register_module("decoder", std::make_shared<TransformerDecoder>(layer, options.num_decoder_layers, true));
  for (Tensor& p : parameters())
    if (p.dim() > 1) init::xavier_uniform_(p);  // as nn.Transformer._reset_parameters
}

std::string Transformer::describe() const {
  return fmt::format(
      "Transformer(d_model={}, nhead={}, num_encoder_layers={}, num_decoder_layers={}, dim_feedforward={}, dropout={})",
      options_.d_model, options_.nhead, options_.num_encoder_layers, options_.num_decoder_layers,
      options_.dim_feedforward, options_.dropout);
}

AttentionMask Transformer::generate_square_subsequent_mask(std::size_t T) {
  return AttentionMask::causal(T, T, CausalAlignment::TopLeft);
}

Tensor Transformer::encode(const Tensor& src, const AttentionMask& src_mask) const {
  return encoder->forward(src, src_mask);
}

Tensor Transformer::decode(const Tensor& tgt, const Tensor& memory, const AttentionMask& tgt_mask,
                           const AttentionMask& memory_mask) const {
  return decoder->forward(tgt, memory, tgt_mask, memory_mask);
}

Tensor Transformer::decode_step(const Tensor& tgt_new, const Tensor& memory, DecoderCache& cache,
                                const AttentionMask& memory_mask) const {
  return decoder->forward_step(tgt_new, memory, cache, memory_mask);
}

Tensor Transformer::forward(const Tensor& src, const Tensor& tgt, const AttentionMask& src_mask,
                            const AttentionMask& tgt_mask, const AttentionMask& memory_mask) const {
  const std::size_t b = options_.batch_first ? 0 : 1, E = options_.d_model;
  if (src.dim() != 3 || tgt.dim() != 3 || src.shape()[b] != tgt.shape()[b] || src.shape()[2] != E ||
      tgt.shape()[2] != E)
    throw std::invalid_argument(
        fmt::format("Transformer: expected src {} and tgt {} with the same B and E = {}, got {} and {}",
                    options_.batch_first ? "(B, S, E)" : "(S, B, E)", options_.batch_first ? "(B, T, E)" : "(T, B, E)",
                    E, shape_str(src.shape()), shape_str(tgt.shape())));
  const Tensor memory = encode(src, src_mask);        // (B, S, E)
  return decode(tgt, memory, tgt_mask, memory_mask);  // (B, T, E)
}

}  // namespace attograd::nn
