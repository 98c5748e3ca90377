// attograd::seq: padding, shift-right, greedy and beam search over a step function, exact match,
// token accuracy, BLEU against hand-computed values, and the heatmap SVG.
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>
#include <attograd/seq/seq.hpp>

using namespace attograd;
using namespace attograd::seq;
using Catch::Matchers::Contains;

TEST_CASE("pad_sequences pads to the longest and keeps the lengths, shift_right prepends BOS") {
  const PaddedBatch b = pad_sequences({{5, 6, 7}, {8}, {}}, 0);
  CHECK(b.ids.shape() == Shape{3, 3});
  CHECK((b.ids == Index{{5, 6, 7}, {8, 0, 0}, {0, 0, 0}}));
  CHECK(b.lengths == std::vector<std::int64_t>{3, 1, 0});
  CHECK((shift_right(b.ids, 1) == Index{{1, 5, 6}, {1, 8, 0}, {1, 0, 0}}));
  CHECK(row_tokens(b.ids, 0, 3) == TokenIds{5, 6, 7});
  CHECK(row_tokens(b.ids, 0, 3, 6) == TokenIds{5});
  CHECK(pad_sequences({{1}}, 0, 4).ids.shape() == Shape{1, 4});
  CHECK_THROWS_WITH(pad_sequences({{1, -3}}, 0), "pad_sequences: sequence 0 has a negative id -3 at position 1");
  CHECK_THROWS_WITH(shift_right(Index{1, 2}, 1), "shift_right: targets must be (B, T), got shape (2,)");
}

TEST_CASE("time_step takes a column, sequence_cross_entropy ignores padding, select_rows reorders") {
  const Index ids{{5, 6, 0}, {7, 0, 0}};
  CHECK((time_step(ids, 1) == Index{6, 0}));
  CHECK_THROWS_WITH(time_step(ids, 3), "time_step: cannot take step 3 of ids of shape (2, 3) (need (B, T) with t < T)");

  // Two real tokens: the loss is their mean, and the padded positions get no gradient.
  const Tensor logits = Tensor(Array{{{2.0f, 0.0f}, {0.0f, 0.0f}}, {{0.0f, 1.0f}, {9.0f, -9.0f}}}, true);
  const Tensor loss = sequence_cross_entropy(logits, Index{{0, 2}, {1, 2}}, 2);
  const double expected = (std::log(1.0 + std::exp(-2.0)) + std::log(1.0 + std::exp(-1.0))) / 2.0;
  CHECK(loss.item() == Approx(expected).epsilon(1e-6));
  loss.backward();
  CHECK(logits.grad()(0, 1, 0) == 0.0f);
  CHECK(logits.grad()(1, 1, 1) == 0.0f);
  CHECK_THROWS_WITH(sequence_cross_entropy(logits, Index{{0, 1}}, 2),
                    "sequence_cross_entropy: expected logits (B, T, V) and targets (B, T), got (2, 2, 2) and (1, 2)");

  const Tensor rows = select_rows(Tensor(Array{{1.0f, 1.5f}, {2.0f, 2.5f}, {3.0f, 3.5f}}), {2, 2, 0});
  CHECK((rows.value() == Array{{3.0f, 3.5f}, {3.0f, 3.5f}, {1.0f, 1.5f}}));
  CHECK_FALSE(select_rows(Tensor(), {0}).defined());
  CHECK_THROWS_WITH(select_rows(Tensor(Array{{1.0f, 1.5f}}), {1}), Contains("index_select"));
}

namespace {
// A Markov chain over V = 5 tokens (0 PAD, 1 BOS, 2 EOS, 3, 4): the next token's probabilities
// depend only on the last one. From BOS, 3 is likelier than 4, but 3 is then unlikely to end
// less often than 4 ends: greedy takes BOS 3 EOS (0.25), a wider beam finds BOS 4 EOS (0.36).
class Chain : public StepModel {
 public:
  void start(std::size_t K) override { K_ = K; }
  Step step(const Index& last) override {
    Array lp = Array::from_shape({last.size(), 5});
    for (std::size_t k = 0; k < last.size(); ++k) {
      const auto& p = table(last(k));
      for (std::size_t v = 0; v < 5; ++v) lp(k, v) = std::log(p[v]);
    }
    Array attention = xt::zeros<float>({last.size(), std::size_t{2}});
    for (std::size_t k = 0; k < last.size(); ++k) attention(k, last(k) % 2) = 1.0f;
    return {Tensor(lp), Tensor(attention)};
  }
  void reorder(const std::vector<std::size_t>& from) override { reorders.push_back(from); }
  std::vector<std::vector<std::size_t>> reorders;

 private:
  static const std::vector<float>& table(std::int64_t last) {
    static const std::vector<std::vector<float>> t{{0.2f, 0.2f, 0.2f, 0.2f, 0.2f},
                                                   {0.01f, 0.01f, 0.08f, 0.5f, 0.4f},
                                                   {0.2f, 0.2f, 0.2f, 0.2f, 0.2f},
                                                   {0.01f, 0.01f, 0.5f, 0.28f, 0.2f},
                                                   {0.01f, 0.01f, 0.9f, 0.04f, 0.04f}};
    return t[static_cast<std::size_t>(last)];
  }
  std::size_t K_ = 0;
};
}  // namespace

TEST_CASE("greedy_search follows the most likely token, beam_search finds the likelier sequence") {
  Chain chain;
  const SearchOptions options{.bos_id = 1, .eos_id = 2, .max_length = 10, .beam = 3};
  const Hypothesis greedy = greedy_search(chain, 1, options)[0];
  CHECK(greedy.tokens == TokenIds{3});  // 0.5 · 0.5
  CHECK(greedy.finished);
  CHECK(greedy.attention.size() == greedy.tokens.size() + 1);  // one row per emitted token, EOS too
  const std::vector<Hypothesis> beams = beam_search(chain, options);
  REQUIRE(!beams.empty());
  CHECK(beams[0].tokens == TokenIds{4});  // 0.4 · 0.9 = 0.36
  CHECK(beams[0].log_prob == Approx(std::log(0.4) + std::log(0.9)));
  CHECK(beams[0].log_prob > greedy.log_prob);
  CHECK(beams.size() <= 3);
  for (std::size_t i = 1; i < beams.size(); ++i) CHECK(beams[i - 1].score >= beams[i].score);
}

TEST_CASE("beam_search with beam 1 equals greedy_search") {
  Chain a, b;
  const SearchOptions options{.max_length = 6, .beam = 1};
  const Hypothesis greedy = greedy_search(a, 1, options)[0];
  const Hypothesis beam = beam_search(b, options)[0];
  CHECK(beam.tokens == greedy.tokens);
  CHECK(beam.log_prob == Approx(greedy.log_prob));
  CHECK(beam.attention == greedy.attention);
}

TEST_CASE("search stops at max_length, checks the step's shapes and its options") {
  Chain chain;
  const Hypothesis cut = greedy_search(chain, 2, {.max_length = 1})[1];
  CHECK(cut.tokens == TokenIds{3});
  CHECK_FALSE(cut.finished);
  CHECK_THROWS_WITH(beam_search(chain, {.beam = 0}),
                    "beam_search: beam must be at least 1 (1 is greedy search), got 0");
  CHECK_THROWS_WITH(greedy_search(chain, 1, {.max_length = 0}), "greedy_search: max_length must be positive");
  struct Broken : StepModel {
    void start(std::size_t) override {}
    Step step(const Index&) override { return {zeros({3, 4}), Tensor()}; }
    void reorder(const std::vector<std::size_t>&) override {}
  } broken;
  CHECK_THROWS_WITH(greedy_search(broken, 2, {}),
                    "greedy_search: the step must return log_probs (K = 2, V), got (3, 4)");
}

TEST_CASE("exact match and token accuracy") {
  const std::vector<TokenIds> refs{{1, 2, 3}, {4, 5}, {6}};
  CHECK(exact_match({{1, 2, 3}, {4, 6}, {6}}, refs) == Approx(2.0 / 3.0));
  CHECK(token_accuracy({{1, 2, 3}, {4, 6}, {}}, refs) == Approx(4.0 / 6.0));
  CHECK(token_accuracy({{1, 2, 3, 9, 9}, {4, 5}, {6}}, refs) == 1.0);  // extra tokens are not counted
  CHECK_THROWS_WITH(exact_match({{1}}, refs), "exact_match: 1 predictions but 3 references");
}

TEST_CASE("corpus BLEU against values computed by hand") {
  CHECK(corpus_bleu({{1, 2, 3, 4}}, {{1, 2, 3, 4}}) == Approx(1.0));
  // p1..p4 = 5/6, 4/5, 3/4, 2/3; no brevity penalty: (1/3)^(1/4)
  CHECK(corpus_bleu({{1, 2, 3, 4, 5, 6}}, {{1, 2, 3, 4, 5, 7}}) == Approx(std::pow(1.0 / 3.0, 0.25)));
  // every precision 1, c = 4 < r = 6: BP = exp(1 - 6/4)
  CHECK(corpus_bleu({{1, 2, 3, 4}}, {{1, 2, 3, 4, 5, 6}}) == Approx(std::exp(-0.5)));
  // clipping: four 7s against one 7 in the reference: p1 = 1/4
  CHECK(corpus_bleu({{7, 7, 7, 7}}, {{7, 1, 2, 3}}, 1) == Approx(0.25));
  CHECK(corpus_bleu({{7, 7, 7, 7}}, {{7, 1, 2, 3}}) == 0.0);  // no bigram matches: 0 without smoothing
  // corpus level: the counts add up over sentences before dividing; c = 6, r = 8
  CHECK(corpus_bleu({{1, 2, 3, 4}, {5, 6}}, {{1, 2, 3, 4}, {5, 6, 7, 8}}) == Approx(std::exp(1.0 - 8.0 / 6.0)));
  CHECK(corpus_bleu({{}}, {{1}}) == 0.0);
}

TEST_CASE("the attention heatmap is well-formed SVG with a cell per weight and escaped tokens") {
  const std::string svg = attention_heatmap_svg({{0.9f, 0.1f}, {0.2f, 0.8f}}, {"<a>", "b&"}, {"x", "y"}, "t \"1\"");
  CHECK_THAT(svg, Contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK_THAT(svg, Contains("&lt;a&gt;") && Contains("b&amp;") && Contains("t &quot;1&quot;"));
  std::size_t cells = 0;
  for (std::size_t at = svg.find("<rect x="); at != std::string::npos; at = svg.find("<rect x=", at + 1)) ++cells;
  CHECK(cells == 4);
  CHECK(svg.substr(svg.size() - 7) == "</svg>\n");
  CHECK_THROWS_WITH(attention_heatmap_svg({{1.0f}}, {"a", "b"}, {"x"}),
                    "attention_heatmap_svg: row 0 has 1 weights for 2 source tokens");
}

TEST_CASE("seq: the remaining argument errors") {
  CHECK_THROWS_WITH(row_tokens(Index{{1, 2}}, 1, 2),
                    "row_tokens: cannot take row 1 of length 2 from ids of shape (1, 2)");
  CHECK_THROWS_WITH(corpus_bleu({{1}}, {{1}}, 0), "corpus_bleu: max_n must be positive");
  CHECK_THROWS_WITH(attention_heatmap_svg({{1.0f}}, {"a"}, {"x", "y"}),
                    "attention_heatmap_svg: 1 rows of weights for 2 output tokens");
  Chain chain;
  CHECK_THROWS_WITH(beam_search(chain, {.length_penalty = -1.0}),
                    "beam_search: length_penalty must be finite and >= 0, got -1");
}
