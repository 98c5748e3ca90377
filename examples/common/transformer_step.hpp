// TransformerStepDecoder: a Transformer decoder as attograd::seq's step model, for greedy and beam
// search. Each step embeds the newest token of every hypothesis at its position, runs one
// position through the decoder's key/value cache, and returns the next token's log-probabilities
// and where the last layer's cross-attention looked. translate (over an encoded source) and
// caption (over an image's feature grid) both decode with it; they differ only in how a token is
// embedded and what memory, with which padding, the decoder attends to.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <attograd/attograd.hpp>

namespace examples {

class TransformerStepDecoder : public attograd::seq::StepModel {
 public:
  // ids (K, 1) and their position t -> embedded tokens (K, 1, d)
  using Embed = std::function<attograd::Tensor(const attograd::Index& ids, std::size_t position)>;
  // decoder outputs (K, 1, d) -> logits (K, 1, V)
  using Project = std::function<attograd::Tensor(const attograd::Tensor& h)>;

  // memory (B, S, d); memory_lengths: the real positions of each memory row (key padding), or
  // empty when every position is real. The decoder must outlive this object.
  TransformerStepDecoder(const attograd::nn::TransformerDecoder& decoder, Embed embed, Project project,
                         attograd::Tensor memory, std::vector<std::int64_t> memory_lengths = {});

  void start(std::size_t K) override;
  attograd::seq::Step step(const attograd::Index& last) override;
  void reorder(const std::vector<std::size_t>& from) override;

 private:
  // x (K, 1, d) -> (K, 1, d), and every layer's cross-attention averaged over heads (K, 1, S).
  attograd::nn::TransformerOutput forward_step(const attograd::Tensor& x);

  const attograd::nn::TransformerDecoder& decoder_;
  Embed embed_;
  Project project_;
  attograd::Tensor memory0_, memory_;
  std::vector<std::int64_t> lengths0_, lengths_;
  attograd::nn::DecoderCache cache_;
  std::size_t t_ = 0;
};

}  // namespace examples
