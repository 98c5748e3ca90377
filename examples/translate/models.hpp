// The translation models: an encoder-decoder with GRUs and one of the attention families
// (Bahdanau additive, Luong dot/general/concat with the attentional hidden state h̃, and
// location-aware attention from examples/extending), the same
// without attention (the baseline the attention papers beat), and a Transformer. Each trains
// on a padded batch with teacher forcing and decodes through attograd::seq's step interface.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <attograd/attograd.hpp>

#include "cli.hpp"

namespace translate {

using attograd::Index;
using attograd::Tensor;

// The model kinds --model takes.
const std::vector<std::string>&
model_kinds();  // bahdanau, luong-dot, luong-general, luong-concat, location, transformer, none

// Each kind's sizes and training settings unless the command line says otherwise (--help prints
// this table).
const examples::DefaultsTable& model_defaults();

struct ModelConfig {
  std::string kind = "bahdanau";
  std::size_t source_vocab = 0, target_vocab = 0;
  std::size_t embed = 32, hidden = 128;  // RNN models: embedding and GRU width; Transformer: hidden is d_model
  std::size_t layers = 1;                // encoder GRU layers; Transformer encoder and decoder layers
  std::size_t heads = 4, ff = 256;       // Transformer only
  float dropout = 0.0f;
};

struct Batch {
  Index source;  // (B, S), PAD-padded
  std::vector<std::int64_t> source_lengths;
  Index target;                              // (B, T): the target tokens then EOS, PAD-padded
  std::vector<std::int64_t> target_lengths;  // EOS included
};

class Seq2Seq : public attograd::nn::Module {
 public:
  // Mean cross-entropy per target token (PAD ignored). teacher_forcing: the chance, per step and
  // sequence, that the decoder is fed the true previous token rather than its own guess.
  virtual Tensor loss(const Batch& batch, float teacher_forcing) = 0;
  // A step model over these sources (B, S) for attograd::seq's greedy and beam search.
  virtual std::unique_ptr<attograd::seq::StepModel> decoder(const Index& source,
                                                            const std::vector<std::int64_t>& lengths) const = 0;
  // Where the model looks while it writes `output` (then EOS) for one source (1, S), computed
  // teacher-forced, so for an output it decoded itself these are the weights it used. Each [l] is
  // (1, H, rows, columns). An RNN model has one map, cross[0] (1, 1, T + 1, S), or none; the
  // Transformer has every layer's and head's.
  struct AttentionMaps {
    std::vector<Tensor> encoder_self;  // (1, H, S, S)
    std::vector<Tensor> decoder_self;  // (1, H, T + 1, T + 1), causal; rows: BOS then the output
    std::vector<Tensor> cross;         // (1, H, T + 1, S); rows: the output then EOS
  };
  virtual AttentionMaps attention(const Index& source, const attograd::seq::TokenIds& output) const;
  const ModelConfig& config() const { return config_; }

 protected:
  explicit Seq2Seq(ModelConfig config) : config_(std::move(config)) {}
  ModelConfig config_;
};

// Throws std::invalid_argument naming the kind if it is not one of model_kinds().
std::shared_ptr<Seq2Seq> make_model(const ModelConfig& config);

}  // namespace translate
