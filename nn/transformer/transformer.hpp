// Transformer: the encoder-decoder of Vaswani et al. (2017), as torch.nn.Transformer, with its
// parameter names ("encoder.layers.0.self_attn.in_proj_weight", "encoder.norm.weight",
// "decoder.layers.0.multihead_attn.out_proj.bias", "decoder.norm.weight"), so a PyTorch
// nn.Transformer state dict loads unchanged. Like PyTorch it has no embeddings, positional
// encoding or output projection: it maps embedded src (B, S, E) and tgt (B, T, E) to (B, T, E).
// Both stacks end in a LayerNorm, and every matrix is initialised xavier_uniform_, as PyTorch.
// The attention weights of any layer: encoder->forward_with_attention(…) and
// decoder->forward_with_attention(…) (transformer_options.hpp's TransformerOutput).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <attograd/nn/attention/mask.hpp>
#include <attograd/nn/module.hpp>
#include <attograd/nn/transformer/transformer_decoder.hpp>
#include <attograd/nn/transformer/transformer_encoder.hpp>
#include <attograd/nn/transformer/transformer_options.hpp>

namespace attograd::nn {

// A Transformer is num_encoder_layers + num_decoder_layers layers of one kind:
//   TransformerOptions{.layer = {.d_model = 64, .nhead = 4, .dim_feedforward = 128}, .num_encoder_layers = 2}
struct TransformerOptions {
  TransformerLayerOptions layer;
  std::size_t num_encoder_layers = 6;
  std::size_t num_decoder_layers = 6;
};

class Transformer : public Module {
 public:
  explicit Transformer(const TransformerOptions& options = {});
  Transformer(std::size_t d_model, std::size_t nhead);

  // src (B, S, E), tgt (B, T, E) -> (B, T, E). src_mask applies to the encoder's self-attention
  // (B, H, S, S), tgt_mask to the decoder's (B, H, T, T) - usually causal & key padding - and
  // memory_mask to the cross-attention (B, H, T, S) - usually the source key padding.
  Tensor forward(const Tensor& src, const Tensor& tgt, const AttentionMask& src_mask = {},
                 const AttentionMask& tgt_mask = {}, const AttentionMask& memory_mask = {}) const;
  Tensor operator()(const Tensor& src, const Tensor& tgt, const AttentionMask& src_mask = {},
                    const AttentionMask& tgt_mask = {}, const AttentionMask& memory_mask = {}) const {
    return forward(src, tgt, src_mask, tgt_mask, memory_mask);
  }

  Tensor encode(const Tensor& src, const AttentionMask& src_mask = {}) const;  // -> memory (B, S, E)
  Tensor decode(const Tensor& tgt, const Tensor& memory, const AttentionMask& tgt_mask = {},
                const AttentionMask& memory_mask = {}) const;  // -> (B, T, E)
  // Incremental decoding: the next positions tgt_new (B, t, E) given the cache (see
  // transformer_decoder.hpp).
  Tensor decode_step(const Tensor& tgt_new, const Tensor& memory, DecoderCache& cache,
                     const AttentionMask& memory_mask = {}) const;

  // PyTorch's Transformer.generate_square_subsequent_mask: position i sees positions j <= i.
  static AttentionMask generate_square_subsequent_mask(std::size_t T);

  // As nn.Transformer._reset_parameters: every layer as it initialises itself, then every
  // matrix (every parameter of 2+ dims) xavier_uniform_.
  void reset_parameters() override;
  const TransformerOptions& options() const { return options_; }
  std::string describe() const override;

  std::shared_ptr<TransformerEncoder> encoder;
  std::shared_ptr<TransformerDecoder> decoder;

 private:
  void init_matrices();

  TransformerOptions options_;
};

}  // namespace attograd::nn
