// seq::generate over a tiny GPT (pre-LN decoder-only blocks from nn::TransformerEncoder): cached
// and uncached generation give the same tokens and the same logits, past the context too; the
// errors name their values.
#include <memory>

#include <catch2/catch.hpp>

#include <attograd/attograd.hpp>

#include "../support/gradcheck.hpp"

using namespace attograd;
using Catch::Matchers::Contains;

namespace {

// Token and learned position embeddings, two pre-LN causal blocks, a final norm, a linear head.
struct TinyGPT : nn::Module, seq::CausalLanguageModel {
  static constexpr std::size_t V = 11, C = 12, E = 16;
  std::shared_ptr<nn::Embedding> tokens = register_module("tokens", std::make_shared<nn::Embedding>(V, E));
  std::shared_ptr<nn::Embedding> positions = register_module("positions", std::make_shared<nn::Embedding>(C, E));
  std::shared_ptr<nn::TransformerEncoder> blocks = register_module(
      "blocks", std::make_shared<nn::TransformerEncoder>(
                    nn::TransformerLayerOptions{
                        .d_model = E, .nhead = 2, .dim_feedforward = 32, .dropout = 0.0f, .norm_first = true},
                    2, /*final_norm=*/true));
  std::shared_ptr<nn::Linear> head = register_module("head", std::make_shared<nn::Linear>(E, V));
  nn::SelfAttentionCache cache;

  std::size_t context_length() const override { return C; }
  Tensor forward(const Index& ids, std::size_t start, bool use_cache) override {
    const std::size_t T = ids.shape()[1];
    Index at = Index::from_shape({1, T});
    for (std::size_t t = 0; t < T; ++t) at(0, t) = static_cast<std::int64_t>(start + t);
    const Tensor x = tokens->forward(ids) + positions->forward(at);  // (B, T, E)
    const Tensor h = use_cache ? blocks->forward_step(x, cache)
                               : blocks->forward(x, nn::AttentionMask::causal(T, T, nn::CausalAlignment::TopLeft));
    return head->forward(h);  // (B, T, V)
  }
  void clear_cache() override { cache = {}; }
};

}  // namespace

TEST_CASE("generate: cached and uncached give the same tokens, within and past the context") {
  manual_seed(5);
  TinyGPT model;
  model.eval();
  const seq::TokenIds prompt{3, 1, 4, 1, 5};
  for (const seq::SamplingOptions& sampling :
       {seq::SamplingOptions{.temperature = 0.0f}, seq::SamplingOptions{.temperature = 1.0f, .top_k = 5}}) {
    INFO("temperature " << sampling.temperature);
    for (const std::size_t n : {std::size_t{4}, std::size_t{20}}) {  // 5 + 20 > the context of 12
      INFO(n << " new tokens");
      Generator a(9), b(9);
      const seq::TokenIds cached = seq::generate(model, prompt, {.max_new_tokens = n, .sampling = sampling}, a);
      const seq::TokenIds uncached =
          seq::generate(model, prompt, {.max_new_tokens = n, .sampling = sampling, .use_cache = false}, b);
      REQUIRE(cached.size() == prompt.size() + n);
      CHECK(cached == uncached);
      CHECK(std::equal(prompt.begin(), prompt.end(), cached.begin()));
    }
  }
}

TEST_CASE("generate's cached steps give the logits of the full causal forward") {
  manual_seed(6);
  TinyGPT model;
  model.eval();
  Index ids = Index::from_shape({1, 9});
  for (std::size_t t = 0; t < 9; ++t) ids(0, t) = static_cast<std::int64_t>((7 * t + 2) % TinyGPT::V);
  NoGradGuard no_grad;
  const Tensor full = model.forward(ids, 0, false);  // (1, 9, V)
  model.clear_cache();
  const auto part = [&](std::size_t from, std::size_t to) {  // ids[:, from:to]
    Index out = Index::from_shape({1, to - from});
    for (std::size_t t = from; t < to; ++t) out(0, t - from) = ids(0, t);
    return out;
  };
  const Tensor prefill = model.forward(part(0, 4), 0, true);  // (1, 4, V)
  CHECK(testing::allclose(prefill.value(), slice(full, 1, 0, 4).value(), 1e-5f, 1e-5f));
  for (std::size_t t = 4; t < 9; ++t) {
    const auto i = static_cast<std::int64_t>(t);
    const Tensor step = model.forward(part(t, t + 1), t, true);  // (1, 1, V)
    CHECK(testing::allclose(step.value(), slice(full, 1, i, i + 1).value(), 1e-5f, 1e-5f));
  }
}

TEST_CASE("generate: the same seed gives the same text, errors name the values") {
  manual_seed(7);
  TinyGPT model;
  model.eval();
  const seq::GenerateOptions options{.max_new_tokens = 8, .sampling = {.temperature = 0.8f}};
  Generator a(1), b(1);
  CHECK(seq::generate(model, {2}, options, a) == seq::generate(model, {2}, options, b));
  Generator g(1);
  CHECK_THROWS_WITH(seq::generate(model, {}, options, g), Contains("generate: the prompt is empty"));
  CHECK_THROWS_WITH(seq::generate(model, seq::TokenIds(13, 1), options, g),
                    Contains("generate: the prompt has 13 tokens but the model sees at most 12 (its context)"));
}
