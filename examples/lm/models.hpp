// The language models lm trains: a GPT (decoder-only Transformer) and two baselines without
// attention, built alike so a learner sees what attention buys:
//   gpt     token + learned position embeddings, L pre-LN causal self-attention blocks
//           (nn::TransformerEncoder with a causal mask, GELU MLP of 4E), a final LayerNorm, a head
//           (tied to the token embedding with --tie)
//   bigram  the same without the attention: each position sees only its own token (an embedding,
//           L pre-LN MLP blocks, the head), so it can learn P(next | this token) and nothing more
//   rnn     a GRU language model: embedding, L GRU layers of width ~√2·E (about the GPT's
//           parameters per layer), the head
// Each is an attograd::seq::CausalLanguageModel, so seq::generate runs it with its cache (the
// blocks' keys and values, or the GRU's state).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <attograd/attograd.hpp>

namespace lm {

using attograd::Index;
using attograd::Tensor;

// The model kinds --model takes: gpt, bigram, rnn.
const std::vector<std::string>& model_kinds();

struct ModelConfig {
  std::string kind = "gpt";
  std::size_t vocab = 0;    // V
  std::size_t context = 0;  // C: the most positions the model sees at once
  std::size_t embed = 0;    // E
  std::size_t layers = 0, heads = 0;
  float dropout = 0.0f;
  bool tie = false;  // gpt: the head's weight is the token embedding's (logits = h · Wₜₒₖᵀ)
};

class LanguageModel : public attograd::nn::Module, public attograd::seq::CausalLanguageModel {
 public:
  // ids (B, T), T <= context -> logits (B, T, V), each position from itself and those before it.
  Tensor logits(const Index& ids) { return forward(ids, 0, false); }
  // The mean cross-entropy of logits(inputs) against targets (B, T); targets of -1 are not
  // scored (the prompt part of a sort or add example).
  Tensor loss(const Index& inputs, const Index& targets);
  // Every layer's attention over ids (1, T), per head: [l] (1, H, T, T). Empty for the baselines.
  virtual std::vector<Tensor> attention(const Index& ids);
  // The GPT's learned positions (config.context); the baselines have no limit (a bigram sees one
  // token, the GRU carries its state), so generation never crops their text.
  std::size_t context_length() const override { return config_.context; }
  const ModelConfig& config() const { return config_; }
  // Every layer as PyTorch initialises it, then the embeddings and the head N(0, 0.02) as GPT-2
  // (PyTorch's N(0, 1) embeddings would start the loss far above ln V).
  void reset_parameters() override;

 protected:
  explicit LanguageModel(ModelConfig config) : config_(std::move(config)) {}
  ModelConfig config_;
};

// Throws std::invalid_argument naming the kind or the sizes that do not fit (heads not dividing
// embed, a zero size).
std::shared_ptr<LanguageModel> make_model(const ModelConfig& config);

}  // namespace lm
