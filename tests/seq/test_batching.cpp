// Language-model batches: random windows (targets are inputs shifted by one, inside the stream,
// starts uniform over [0, N - T - 1], seeded), the train/validation split, the loss over a whole
// split against hand computations (uniform logits give ln V; a bigram table), and every error.
#include <cmath>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>
#include <attograd/seq/seq.hpp>

using namespace attograd;
using namespace attograd::seq;
using Catch::Matchers::StartsWith;

namespace {

// Token t of the stream is t itself, so a window's ids say where it came from.
TokenIds positions(std::size_t N) {
  TokenIds tokens(N);
  for (std::size_t t = 0; t < N; ++t) tokens[t] = static_cast<std::int64_t>(t);
  return tokens;
}

}  // namespace

TEST_CASE("random_windows: targets are the inputs shifted by one, inside the stream, from uniform starts") {
  const std::size_t N = 40, B = 8, T = 5;
  const TokenIds tokens = positions(N);
  Generator g(1);
  std::set<std::int64_t> starts;
  for (int draw = 0; draw < 200; ++draw) {
    const LMBatch batch = random_windows(tokens, B, T, g);
    REQUIRE(batch.inputs.shape() == Shape{B, T});
    REQUIRE(batch.targets.shape() == Shape{B, T});
    for (std::size_t b = 0; b < B; ++b) {
      const std::int64_t s = batch.inputs(b, 0);
      starts.insert(s);
      CHECK(s >= 0);
      CHECK(s <= static_cast<std::int64_t>(N - T - 1));
      for (std::size_t t = 0; t < T; ++t) {
        CHECK(batch.inputs(b, t) == s + static_cast<std::int64_t>(t));
        CHECK(batch.targets(b, t) == s + static_cast<std::int64_t>(t) + 1);
      }
    }
  }
  CHECK(starts.size() == N - T);  // every start in [0, N - T - 1] came up in 1600 draws

  Generator g1(4), g2(4), g3(5);
  const LMBatch a = random_windows(tokens, B, T, g1), b = random_windows(tokens, B, T, g2);
  CHECK((a.inputs == b.inputs));
  CHECK((a.targets == b.targets));
  CHECK(!(random_windows(tokens, B, T, g3).inputs == a.inputs));
  // A stream of exactly T + 1 tokens has one window.
  const LMBatch only = random_windows({7, 8, 9}, 2, 2, g1);
  CHECK((only.inputs == Index{{7, 8}, {7, 8}}));
  CHECK((only.targets == Index{{8, 9}, {8, 9}}));
}

TEST_CASE("train_val_split: the first floor(fraction N) tokens train, the rest validate") {
  const TokenSplit split = train_val_split(positions(100), 8);
  CHECK(split.train == positions(90));
  REQUIRE(split.validation.size() == 10);
  CHECK(split.validation.front() == 90);
  CHECK(split.validation.back() == 99);
  CHECK(train_val_split(positions(101), 4, 0.5).train.size() == 50);
}

TEST_CASE("evaluate_split: uniform logits give exactly ln V, and every target is scored once") {
  const std::size_t N = 23, B = 2, T = 4, V = 7;
  TokenIds tokens(N);
  for (std::size_t t = 0; t < N; ++t) tokens[t] = static_cast<std::int64_t>((t * 3) % V);
  std::vector<Shape> shapes;
  TokenIds seen;
  const SplitLoss result = evaluate_split(tokens, B, T, [&](const Index& inputs) {
    CHECK(!is_grad_enabled());
    shapes.push_back(inputs.shape());
    for (std::size_t b = 0; b < inputs.shape()[0]; ++b)
      for (std::size_t t = 0; t < inputs.shape()[1]; ++t) seen.push_back(inputs(b, t));
    return zeros({inputs.shape()[0], inputs.shape()[1], V});
  });
  CHECK(result.loss == Approx(std::log(7.0)).epsilon(1e-6));
  CHECK(result.bits_per_token == Approx(std::log2(7.0)).epsilon(1e-6));
  CHECK(result.perplexity == Approx(7.0).epsilon(1e-5));
  CHECK(result.tokens == N - 1);
  // 22 targets = 5 windows of 4 (B = 2 at a time) and a last window of 2.
  CHECK(shapes == std::vector<Shape>{{2, 4}, {2, 4}, {1, 4}, {1, 2}});
  CHECK(seen == TokenIds(tokens.begin(), tokens.end() - 1));  // inputs: positions 0 … N - 2, once each
}

TEST_CASE("evaluate_split: a bigram lookup table gives the hand-computed mean cross-entropy") {
  // logits for the next token = row `input` of a fixed table (a bigram model).
  const std::size_t V = 4;
  const Array table{
      {2.0f, 0.0f, -1.0f, 0.5f}, {0.0f, 1.0f, 0.0f, 0.0f}, {-2.0f, 3.0f, 1.0f, 0.0f}, {1.0f, 1.0f, 1.0f, -1.0f}};
  const TokenIds tokens{0, 1, 2, 3, 3, 0, 2, 1, 1, 0, 3, 2, 2};
  const auto bigram = [&](const Index& inputs) {
    const std::size_t B = inputs.shape()[0], T = inputs.shape()[1];
    Array logits = xt::zeros<float>({B, T, V});
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t t = 0; t < T; ++t)
        for (std::size_t v = 0; v < V; ++v) logits(b, t, v) = table(static_cast<std::size_t>(inputs(b, t)), v);
    return from_array(logits);
  };
  // -log softmax(table[x_{t-1}])[x_t], averaged over t = 1 … N - 1.
  double sum = 0.0;
  for (std::size_t t = 1; t < tokens.size(); ++t) {
    const auto prev = static_cast<std::size_t>(tokens[t - 1]);
    double z = 0.0;
    for (std::size_t v = 0; v < V; ++v) z += std::exp(static_cast<double>(table(prev, v)));
    sum += std::log(z) - table(prev, static_cast<std::size_t>(tokens[t]));
  }
  const double expected = sum / static_cast<double>(tokens.size() - 1);
  // The windowing does not change a bigram's loss: any B and T give the same number.
  for (const auto& [B, T] :
       std::vector<std::pair<std::size_t, std::size_t>>{{1, 1}, {2, 3}, {3, 5}, {8, 12}, {1, 50}}) {
    const SplitLoss result = evaluate_split(tokens, B, T, bigram);
    INFO("B = " << B << ", T = " << T);
    CHECK(result.loss == Approx(expected).epsilon(1e-6));
    CHECK(result.bits_per_token == Approx(expected / std::log(2.0)).epsilon(1e-6));
    CHECK(result.tokens == tokens.size() - 1);
  }
}

TEST_CASE("batching: every error names the numbers and what to pass") {
  Generator g(0);
  CHECK_THROWS_WITH(random_windows(positions(5), 2, 5, g),
                    "random_windows: the stream has 5 tokens, fewer than T + 1 = 6 (a window of T = 5 inputs and the "
                    "token after it); pass a shorter T or more text");
  CHECK_THROWS_WITH(random_windows(positions(5), 0, 2, g),
                    "random_windows: the batch size B and window length T must be positive, got B = 0, T = 2");
  CHECK_THROWS_WITH(random_windows(positions(5), 2, 0, g),
                    "random_windows: the batch size B and window length T must be positive, got B = 2, T = 0");

  CHECK_THROWS_WITH(train_val_split(positions(100), 4, 1.0),
                    "train_val_split: fraction must be in (0, 1), got 1; pass the share of tokens to train on, such "
                    "as 0.9");
  CHECK_THROWS_WITH(train_val_split(positions(100), 4, 0.0),
                    StartsWith("train_val_split: fraction must be in (0, 1), got 0;"));
  CHECK_THROWS_WITH(train_val_split(positions(100), 4, NAN),
                    StartsWith("train_val_split: fraction must be in (0, 1), got nan;"));
  CHECK_THROWS_WITH(train_val_split(positions(100), 10),
                    "train_val_split: splitting 100 tokens at fraction 0.9 gives 90 for training and 10 for "
                    "validation, but each needs at least T + 1 = 11; pass more text, a shorter T or another fraction");
  CHECK_THROWS_WITH(train_val_split(positions(100), 10, 0.05),
                    StartsWith("train_val_split: splitting 100 tokens at fraction 0.05 gives 5 for training and 95"));

  const auto uniform = [](const Index& inputs) { return zeros({inputs.shape()[0], inputs.shape()[1], 3}); };
  CHECK_THROWS_WITH(evaluate_split({1}, 2, 2, uniform),
                    "evaluate_split: the split has 1 tokens; scoring needs at least 2 (an input and its target)");
  CHECK_THROWS_WITH(evaluate_split({1, 2}, 0, 2, uniform),
                    "evaluate_split: the batch size B and window length T must be positive, got B = 0, T = 2");
  CHECK_THROWS_WITH(evaluate_split(positions(3), 2, 4,
                                   [](const Index&) {
                                     return zeros({2, 3});
                                   }),
                    "evaluate_split: logits_fn returned (2, 3) for inputs (1, 2); it must return logits (B, T, V) = "
                    "(1, 2, V)");
  CHECK_THROWS_WITH(evaluate_split(positions(3), 2, 4, [](const Index&) { return Tensor(); }),
                    "evaluate_split: logits_fn returned an undefined tensor for inputs (1, 2); it must return logits "
                    "(B, T, V) = (1, 2, V)");
}
