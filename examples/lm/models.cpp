// The three language models: GPT, and the bigram and GRU baselines.
#include "models.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace lm {

using namespace attograd;

const std::vector<std::string>& model_kinds() {
  static const std::vector<std::string> kinds{"gpt", "bigram", "rnn"};
  return kinds;
}

Tensor LanguageModel::loss(const Index& inputs, const Index& targets) {
  return seq::sequence_cross_entropy(logits(inputs), targets, /*ignored=*/-1);  // (B, T, V) vs (B, T)
}

std::vector<Tensor> LanguageModel::attention(const Index&) { return {}; }

void LanguageModel::reset_parameters() {
  Module::reset_parameters();
  for (const auto& [name, parameter] : named_parameters())
    if (name == "tokens.weight" || name == "positions.weight" || name == "head.weight")
      nn::init::normal_(parameter, 0.0, 0.02);
}

namespace {

// Positions start … start + T - 1 as (1, T), checked against the model's context.
Index positions_of(std::size_t start, std::size_t T, std::size_t context) {
  if (start + T > context)
    throw std::invalid_argument(
        fmt::format("positions {} to {} are past the model's context of {} (its learned positions)", start,
                    start + T - 1, context));
  Index at = Index::from_shape({1, T});
  for (std::size_t t = 0; t < T; ++t) at(0, t) = static_cast<std::int64_t>(start + t);
  return at;
}

void check_ids(const Index& ids, const ModelConfig& c) {
  if (ids.dimension() != 2 || ids.shape()[1] == 0)
    throw std::invalid_argument(fmt::format("{}: expected token ids (B, T) with T > 0, got {}", c.kind,
                                            shape_str(Shape(ids.shape().begin(), ids.shape().end()))));
}

// ---- gpt ----

// The GPT of nanoGPT and minGPT from attograd's layers: a decoder-only Transformer is a
// Transformer encoder whose self-attention is causal (nn::AttentionMask::causal), pre-LN as GPT-2.
class GPT : public LanguageModel {
 public:
  explicit GPT(const ModelConfig& c) : LanguageModel(c) {
    tokens = register_module("tokens", std::make_shared<nn::Embedding>(c.vocab, c.embed));
    positions = register_module("positions", std::make_shared<nn::Embedding>(c.context, c.embed));
    dropout = register_module("dropout", std::make_shared<nn::Dropout>(c.dropout));
    blocks = register_module("blocks", std::make_shared<nn::TransformerEncoder>(
                                           nn::TransformerLayerOptions{.d_model = c.embed,
                                                                       .nhead = c.heads,
                                                                       .dim_feedforward = 4 * c.embed,
                                                                       .dropout = c.dropout,
                                                                       .activation = nn::TransformerActivation::GELU,
                                                                       .norm_first = true},
                                           c.layers, /*final_norm=*/true));
    if (!c.tie)
      head = register_module("head", std::make_shared<nn::Linear>(nn::LinearOptions{c.embed, c.vocab, false}));
    reset_parameters();
  }

  Tensor forward(const Index& ids, std::size_t start, bool use_cache) override {
    check_ids(ids, config_);
    if (use_cache && start != cache_.length())
      throw std::invalid_argument(
          fmt::format("gpt: the cache holds {} positions but the call starts at {}", cache_.length(), start));
    const std::size_t T = ids.shape()[1];
    const Tensor x = embed(ids, start);  // (B, T, E)
    const Tensor h = use_cache ? blocks->forward_step(x, cache_)
                               : blocks->forward(x, nn::AttentionMask::causal(T, T, nn::CausalAlignment::TopLeft));
    return project(h);  // (B, T, V)
  }

  std::vector<Tensor> attention(const Index& ids) override {
    check_ids(ids, config_);
    const std::size_t T = ids.shape()[1];
    return blocks
        ->forward_with_attention(embed(ids, 0), nn::AttentionMask::causal(T, T, nn::CausalAlignment::TopLeft),
                                 nn::AttentionWeights::PerHead)
        .self_attention;  // [l]: (B, H, T, T)
  }

  void clear_cache() override { cache_ = {}; }

 private:
  Tensor embed(const Index& ids, std::size_t start) const {
    const Index at = positions_of(start, ids.shape()[1], config_.context);   // (1, T)
    return dropout->forward(tokens->forward(ids) + positions->forward(at));  // (B, T, E)
  }
  // h (B, T, E) -> logits (B, T, V): the head, or with --tie the token embedding read backwards.
  Tensor project(const Tensor& h) const {
    return head ? head->forward(h) : matmul_transposed(h, tokens->weight, false, true);
  }

  std::shared_ptr<nn::Embedding> tokens, positions;
  std::shared_ptr<nn::Dropout> dropout;
  std::shared_ptr<nn::TransformerEncoder> blocks;
  std::shared_ptr<nn::Linear> head;
  nn::SelfAttentionCache cache_;
};

// ---- bigram ----

// A GPT block without its attention: x + MLP(LayerNorm(x)), position by position.
class MLPBlock : public nn::Module {
 public:
  MLPBlock(std::size_t E, float dropout_p) {
    norm = register_module("norm", std::make_shared<nn::LayerNorm>(E));
    linear1 = register_module("linear1", std::make_shared<nn::Linear>(E, 4 * E));
    linear2 = register_module("linear2", std::make_shared<nn::Linear>(4 * E, E));
    dropout = register_module("dropout", std::make_shared<nn::Dropout>(dropout_p));
  }
  Tensor forward(const Tensor& x) const {  // (B, T, E) -> (B, T, E)
    return x + dropout->forward(linear2->forward(gelu(linear1->forward(norm->forward(x)))));
  }

  std::shared_ptr<nn::LayerNorm> norm;
  std::shared_ptr<nn::Linear> linear1, linear2;
  std::shared_ptr<nn::Dropout> dropout;
};

class Bigram : public LanguageModel {
 public:
  explicit Bigram(const ModelConfig& c) : LanguageModel(c) {
    tokens = register_module("tokens", std::make_shared<nn::Embedding>(c.vocab, c.embed));
    blocks = register_module("blocks", std::make_shared<nn::ModuleList<MLPBlock>>());
    for (std::size_t l = 0; l < c.layers; ++l) blocks->push_back(std::make_shared<MLPBlock>(c.embed, c.dropout));
    norm = register_module("norm", std::make_shared<nn::LayerNorm>(c.embed));
    head = register_module("head", std::make_shared<nn::Linear>(nn::LinearOptions{c.embed, c.vocab, false}));
    reset_parameters();
  }
  std::size_t context_length() const override { return std::numeric_limits<std::size_t>::max(); }
  // Every position from its own token alone, so there is nothing to cache.
  Tensor forward(const Index& ids, std::size_t, bool) override {
    check_ids(ids, config_);
    Tensor x = tokens->forward(ids);  // (B, T, E)
    for (std::size_t l = 0; l < blocks->size(); ++l) x = (*blocks)[l].forward(x);
    return head->forward(norm->forward(x));  // (B, T, V)
  }
  void clear_cache() override {}

 private:
  std::shared_ptr<nn::Embedding> tokens;
  std::shared_ptr<nn::ModuleList<MLPBlock>> blocks;
  std::shared_ptr<nn::LayerNorm> norm;
  std::shared_ptr<nn::Linear> head;
};

// ---- rnn ----

// A GPT layer has about 12·E² parameters, a GRU layer of width H about 3·(E·H + H²); H = √2·E
// (rounded to a multiple of 8) brings them close.
std::size_t rnn_width(std::size_t embed) {
  const auto h = static_cast<std::size_t>(std::lround(std::sqrt(2.0) * static_cast<double>(embed) / 8.0)) * 8;
  return std::max<std::size_t>(8, h);
}

class RNNModel : public LanguageModel {
 public:
  explicit RNNModel(const ModelConfig& c) : LanguageModel(c) {
    const std::size_t H = rnn_width(c.embed);
    tokens = register_module("tokens", std::make_shared<nn::Embedding>(c.vocab, c.embed));
    gru = register_module("gru",
                          std::make_shared<nn::GRU>(nn::GRUOptions{
                              .input_size = c.embed, .hidden_size = H, .num_layers = c.layers, .dropout = c.dropout}));
    dropout = register_module("dropout", std::make_shared<nn::Dropout>(c.dropout));
    head = register_module("head", std::make_shared<nn::Linear>(nn::LinearOptions{H, c.vocab, false}));
    reset_parameters();
  }
  std::size_t context_length() const override { return std::numeric_limits<std::size_t>::max(); }
  // With the cache, the GRU starts from the state it ended in (its whole memory of the text).
  Tensor forward(const Index& ids, std::size_t start, bool use_cache) override {
    check_ids(ids, config_);
    if (use_cache && start != cached_)
      throw std::invalid_argument(
          fmt::format("rnn: the cache holds {} positions but the call starts at {}", cached_, start));
    const nn::GRUOutput out = gru->forward(dropout->forward(tokens->forward(ids)), use_cache ? state_ : Tensor{});
    if (use_cache) state_ = out.h_n.detach(), cached_ += ids.shape()[1];  // (L, B, H)
    return head->forward(dropout->forward(out.output));                   // (B, T, V)
  }
  void clear_cache() override { state_ = {}, cached_ = 0; }

 private:
  std::shared_ptr<nn::Embedding> tokens;
  std::shared_ptr<nn::GRU> gru;
  std::shared_ptr<nn::Dropout> dropout;
  std::shared_ptr<nn::Linear> head;
  Tensor state_;
  std::size_t cached_ = 0;
};

}  // namespace

std::shared_ptr<LanguageModel> make_model(const ModelConfig& c) {
  if (c.vocab == 0 || c.context == 0 || c.embed == 0 || c.layers == 0)
    throw std::invalid_argument(fmt::format("model sizes must be positive: vocab {}, context {}, embed {}, layers {}",
                                            c.vocab, c.context, c.embed, c.layers));
  if (c.kind == "gpt") {
    if (c.heads == 0 || c.embed % c.heads != 0)
      throw std::invalid_argument(fmt::format(
          "--embed {} is not divisible by --heads {} (each head gets embed / heads dims)", c.embed, c.heads));
    return std::make_shared<GPT>(c);
  }
  if (c.kind == "bigram") return std::make_shared<Bigram>(c);
  if (c.kind == "rnn") return std::make_shared<RNNModel>(c);
  throw std::invalid_argument(fmt::format("unknown model '{}' (expected gpt, bigram or rnn)", c.kind));
}

}  // namespace lm
