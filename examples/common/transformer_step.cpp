// TransformerStepDecoder: one position at a time through nn::TransformerDecoder's cache.
#include "transformer_step.hpp"

#include <utility>

namespace examples {

using namespace attograd;

TransformerStepDecoder::TransformerStepDecoder(const nn::TransformerDecoder& decoder, Embed embed, Project project,
                                               Tensor memory, std::vector<std::int64_t> memory_lengths)
    : decoder_(decoder),
      embed_(std::move(embed)),
      project_(std::move(project)),
      memory0_(std::move(memory)),
      lengths0_(std::move(memory_lengths)) {}

void TransformerStepDecoder::start(std::size_t K) {
  memory_ = memory0_, lengths_ = lengths0_, cache_ = {}, t_ = 0;
  if (K != memory_.shape()[0]) reorder(std::vector<std::size_t>(K, 0));  // K copies of one input
}

seq::Step TransformerStepDecoder::step(const Index& last) {
  Index ids = last;
  ids.reshape({last.size(), 1});
  const nn::TransformerOutput h = forward_step(embed_(ids, t_++));           // (K, 1, d)
  const Tensor logits = select(project_(h.output), 1, 0);                    // (K, V)
  return {log_softmax(logits, -1), select(h.cross_attention.back(), 1, 0)};  // (K, V), (K, S): the last layer's
}

void TransformerStepDecoder::reorder(const std::vector<std::size_t>& from) {
  memory_ = seq::select_rows(memory_, from);
  cache_.reorder(from);
  if (lengths_.empty()) return;
  std::vector<std::int64_t> lengths;
  for (const std::size_t k : from) lengths.push_back(lengths_[k]);
  lengths_ = std::move(lengths);
}

nn::TransformerOutput TransformerStepDecoder::forward_step(const Tensor& x) {
  const nn::AttentionMask padding =
      lengths_.empty() ? nn::AttentionMask{} : nn::AttentionMask::key_padding(lengths_, memory_.shape()[1]);
  return decoder_.forward_step_with_attention(x, memory_, cache_, padding, nn::AttentionWeights::Averaged);
}

}  // namespace examples
