// Transformer: an encoder stack and a decoder stack, each with a final LayerNorm.
#include <attograd/nn/transformer/transformer.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/nn/init.hpp>

namespace attograd::nn {

Transformer::Transformer(std::size_t d_model, std::size_t nhead)
    : Transformer(TransformerOptions{.layer = {.d_model = d_model, .nhead = nhead}}) {}

Transformer::Transformer(const TransformerOptions& options) : options_(options) {
  check_transformer_layer_options("Transformer", options.layer);
  encoder =
      register_module("encoder", std::make_shared<TransformerEncoder>(options.layer, options.num_encoder_layers, true));
  decoder =
      register_module("decoder", std::make_shared<TransformerDecoder>(options.layer, options.num_decoder_layers, true));
  init_matrices();
}

void Transformer::reset_parameters() {
  Module::reset_parameters();
  init_matrices();
}

void Transformer::init_matrices() {
  for (Tensor& p : parameters())
    if (p.dim() > 1) init::xavier_uniform_(p);
}

std::string Transformer::describe() const {
  return fmt::format(
      "Transformer(d_model={}, nhead={}, num_encoder_layers={}, num_decoder_layers={}, dim_feedforward={}, dropout={})",
      options_.layer.d_model, options_.layer.nhead, options_.num_encoder_layers, options_.num_decoder_layers,
      options_.layer.dim_feedforward, options_.layer.dropout);
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
  const TransformerLayerOptions& o = options_.layer;
  const std::size_t b = o.batch_first ? 0 : 1, E = o.d_model;
  if (src.dim() != 3 || tgt.dim() != 3 || src.shape()[b] != tgt.shape()[b] || src.shape()[2] != E ||
      tgt.shape()[2] != E)
    throw std::invalid_argument(
        fmt::format("Transformer: expected src {} and tgt {} with the same B and E = {}, got {} and {}",
                    o.batch_first ? "(B, S, E)" : "(S, B, E)", o.batch_first ? "(B, T, E)" : "(T, B, E)", E,
                    shape_str(src.shape()), shape_str(tgt.shape())));
  const Tensor memory = encode(src, src_mask);        // (B, S, E)
  return decode(tgt, memory, tgt_mask, memory_mask);  // (B, T, E)
}

}  // namespace attograd::nn
