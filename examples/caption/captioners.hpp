// The captioning models: a small CNN turns an image into a grid of feature vectors, and a
// decoder writes the caption one word at a time while attending over that grid.
//   sat          Show, Attend and Tell (Xu et al. 2015): an LSTM decoder with soft additive
//                attention, the gating scalar β, the doubly stochastic attention penalty and the
//                initial state from the mean feature
//   transformer  a Transformer decoder with cross-attention over the grid
//   none         the same LSTM decoder fed only the mean feature: the baseline without attention
// Each trains on a batch of images and padded captions with teacher forcing and decodes through
// attograd::seq's step interface, so greedy and beam search, BLEU and the heatmaps are shared
// with the translate example.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <attograd/attograd.hpp>

#include "cli.hpp"

namespace caption {

using attograd::Index;
using attograd::Tensor;

const std::vector<std::string>& model_kinds();  // sat, transformer, none

// Each kind's sizes and training settings unless the command line says otherwise (--help prints
// this table).
const examples::DefaultsTable& model_defaults();

struct ModelConfig {
  std::string kind = "sat";
  std::size_t vocab = 0;                        // output words, PAD/BOS/EOS/UNK included
  std::size_t height = 48, width = 48;          // the input image size (3 channels)
  std::size_t features = 32;                    // CNN channels D of the last conv: the grid's vectors
  std::size_t embed = 32, hidden = 128;         // word embedding, LSTM width (transformer: d_model)
  std::size_t layers = 2, heads = 4, ff = 128;  // Transformer only
  float dropout = 0.0f;
  float attention_penalty = 0.0f;  // sat: λ of the doubly stochastic penalty λ mean_l (1 − Σ_t α_tl)²
  // sat: when the decoder attends. "after" (default) attends with the LSTM's new state h_t and
  // feeds the context to the output only, as Lu et al. (2017) do; "before" attends with h_{t-1}
  // and feeds the context into the LSTM, as Xu et al. (2015). See ShowAttendTell in the source.
  std::string sat_attention = "after";
};

// The values ModelConfig::sat_attention takes.
const std::vector<std::string>& sat_attention_kinds();  // after, before

struct Batch {
  Tensor images;                      // (B, 3, H, W), values in [0, 1]
  Index captions;                     // (B, T): the words then EOS, PAD-padded
  std::vector<std::int64_t> lengths;  // EOS included
};

class Captioner : public attograd::nn::Module {
 public:
  // Mean cross-entropy per caption token (PAD ignored), plus sat's attention penalty.
  virtual Tensor loss(const Batch& batch) = 0;
  // A step model over these images (B, 3, H, W) for attograd::seq's greedy and beam search;
  // its attention rows cover the feature grid, row-major (grid_height × grid_width).
  virtual std::unique_ptr<attograd::seq::StepModel> decoder(const Tensor& images) const = 0;
  // Where the model looks while it writes `words` (then EOS) for one image (1, 3, H, W), computed
  // teacher-forced, so for a caption it decoded itself these are the weights it used. Each [l] is
  // (1, heads, rows, columns); sat has one map, cross[0] (1, 1, T + 1, grid cells), none has none,
  // the Transformer every layer's and head's.
  struct AttentionMaps {
    std::vector<Tensor> decoder_self;  // (1, H, T + 1, T + 1), causal; rows: BOS then the words
    std::vector<Tensor> cross;         // (1, H, T + 1, grid cells); rows: the words then EOS
  };
  virtual AttentionMaps attention(const Tensor& image, const attograd::seq::TokenIds& words) const;
  std::size_t grid_height() const { return config_.height / 16; }
  std::size_t grid_width() const { return config_.width / 16; }
  const ModelConfig& config() const { return config_; }

 protected:
  explicit Captioner(ModelConfig config) : config_(std::move(config)) {}
  ModelConfig config_;
};

// Throws std::invalid_argument naming the kind if it is not one of model_kinds(), or a size
// that cannot work (the image sides must be multiples of 16: four 2×2 pools).
std::shared_ptr<Captioner> make_model(const ModelConfig& config);

}  // namespace caption
