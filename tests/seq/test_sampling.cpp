// Sampling from logits: greedy is argmax, top_k = 1 is greedy, draws follow softmax(logits / T)
// (a chi-square test that a wrong distribution fails by orders of magnitude), top-k and top-p
// keep exactly the tokens they should, a seed fixes the draws, and every error message.
#include <cmath>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>
#include <attograd/seq/seq.hpp>

using namespace attograd;
using namespace attograd::seq;

namespace {

// softmax(logits / T) over `kept` ids (the rest 0), in double.
std::vector<double> expected_probs(const std::vector<float>& logits, float T, const std::set<std::int64_t>& kept) {
  std::vector<double> p(logits.size(), 0.0);
  double total = 0.0;
  for (const std::int64_t v : kept) total += p[v] = std::exp(logits[v] / static_cast<double>(T));
  for (double& x : p) x /= total;
  return p;
}

std::set<std::int64_t> all_ids(std::size_t V) {
  std::set<std::int64_t> ids;
  for (std::size_t v = 0; v < V; ++v) ids.insert(static_cast<std::int64_t>(v));
  return ids;
}

std::vector<std::size_t> draw_counts(const std::vector<float>& logits, const SamplingOptions& o, std::size_t n,
                                     std::uint64_t seed = 7) {
  Generator g(seed);
  const Tensor x = from_vector(logits);
  std::vector<std::size_t> counts(logits.size(), 0);
  for (std::size_t i = 0; i < n; ++i) ++counts[static_cast<std::size_t>(sample(x, o, g))];
  return counts;
}

// Pearson's statistic Σ (observed - expected)² / expected over the ids with p > 0. An id that
// appears where p = 0 makes it infinite.
double chi_square(const std::vector<std::size_t>& counts, const std::vector<double>& p, std::size_t n) {
  double chi2 = 0.0;
  for (std::size_t v = 0; v < counts.size(); ++v) {
    if (p[v] == 0.0) {
      if (counts[v] > 0) return INFINITY;
      continue;
    }
    const double e = p[v] * static_cast<double>(n), d = static_cast<double>(counts[v]) - e;
    chi2 += d * d / e;
  }
  return chi2;
}

// The 1 - 1e-6 quantile of chi-square with 5 degrees of freedom is 35.9: a correct sampler stays
// below it except once in a million seeds.
constexpr double chi2_bound_5_dof = 35.9;

const std::vector<float> six_logits{1.0f, 0.5f, -0.3f, 2.0f, 0.0f, -1.0f};

}  // namespace

TEST_CASE("sample: temperature 0 is argmax with ties to the lowest id, and draws nothing") {
  Generator data(3);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<float> logits(37);
    for (float& x : logits) x = data.normal();
    std::int64_t best = 0;
    for (std::size_t v = 1; v < logits.size(); ++v)
      if (logits[v] > logits[static_cast<std::size_t>(best)]) best = static_cast<std::int64_t>(v);
    Generator g(1);
    const std::string before = g.state();
    CHECK(sample(from_vector(logits), {.temperature = 0.0f}, g) == best);
    CHECK(g.state() == before);
    // top_k = 1 is greedy at any temperature.
    CHECK(sample(from_vector(logits), {.temperature = 1.0f, .top_k = 1}, g) == best);
    CHECK(sample(from_vector(logits), {.temperature = 5.0f, .top_k = 1}, g) == best);
  }
  Generator g(1);
  const Tensor tied = from_vector({1.0f, 3.0f, -INFINITY, 3.0f, 0.0f});
  CHECK(sample(tied, {.temperature = 0.0f}, g) == 1);
  CHECK(sample(tied, {.top_k = 1}, g) == 1);
  CHECK(sample(from_vector({-INFINITY, -2.0f}), {.temperature = 0.0f}, g) == 1);
}

TEST_CASE("sample: draws follow softmax(logits / T), and a wrong distribution fails the same test") {
  const std::size_t n = 200000;
  for (const float T : {1.0f, 0.7f, 2.5f}) {
    const std::vector<std::size_t> counts = draw_counts(six_logits, {.temperature = T}, n);
    const double chi2 = chi_square(counts, expected_probs(six_logits, T, all_ids(6)), n);
    INFO("T = " << T << ", chi2 = " << chi2);
    CHECK(chi2 < chi2_bound_5_dof);
    // The same counts against softmax(logits) at another temperature are rejected by far.
    const float wrong_T = T == 1.0f ? 0.9f : 1.0f;
    CHECK(chi_square(counts, expected_probs(six_logits, wrong_T, all_ids(6)), n) > 20 * chi2_bound_5_dof);
  }
}

TEST_CASE("sample: top_k keeps the k largest logits, renormalised, -inf is never drawn") {
  const std::size_t n = 100000;
  // The three largest of six_logits are ids 3 (2.0), 0 (1.0), 1 (0.5).
  const std::vector<std::size_t> counts = draw_counts(six_logits, {.temperature = 0.8f, .top_k = 3}, n);
  CHECK(counts[2] == 0);
  CHECK(counts[4] == 0);
  CHECK(counts[5] == 0);
  // 2 degrees of freedom: the 1 - 1e-6 quantile is 27.6.
  CHECK(chi_square(counts, expected_probs(six_logits, 0.8f, {3, 0, 1}), n) < 27.6);
  // top_k past V keeps everything.
  CHECK(chi_square(draw_counts(six_logits, {.top_k = 100}, n), expected_probs(six_logits, 1.0f, all_ids(6)), n) <
        chi2_bound_5_dof);
  const std::vector<std::size_t> blocked = draw_counts({0.0f, -INFINITY, 0.0f, -INFINITY}, {.top_k = 3}, 1000);
  CHECK(blocked[1] + blocked[3] == 0);
  CHECK(blocked[0] + blocked[2] == 1000);
}

TEST_CASE("sample: top_p keeps the fewest most likely tokens whose mass reaches p, exactly") {
  // Probabilities by id: 0.10, 0.50, 0.15, 0.25 (most likely first: 1, 3, 2, 0).
  const std::vector<float> logits{std::log(0.10f), std::log(0.50f), std::log(0.15f), std::log(0.25f)};
  const auto seen = [&](const SamplingOptions& o) {
    const std::vector<std::size_t> counts = draw_counts(logits, o, 20000);
    std::set<std::int64_t> ids;
    for (std::size_t v = 0; v < counts.size(); ++v)
      if (counts[v] > 0) ids.insert(static_cast<std::int64_t>(v));
    return ids;
  };
  CHECK(seen({.top_p = 0.3f}) == std::set<std::int64_t>{1});  // 0.5 alone reaches 0.3
  CHECK(seen({.top_p = 0.5f}) == std::set<std::int64_t>{1});
  CHECK(seen({.top_p = 0.6f}) == std::set<std::int64_t>{1, 3});  // 0.5 < 0.6 <= 0.75
  CHECK(seen({.top_p = 0.74f}) == std::set<std::int64_t>{1, 3});
  CHECK(seen({.top_p = 0.8f}) == std::set<std::int64_t>{1, 3, 2});  // 0.75 < 0.8 <= 0.9
  CHECK(seen({.top_p = 0.95f}) == std::set<std::int64_t>{1, 3, 2, 0});
  CHECK(seen({.top_p = 1.0f}) == std::set<std::int64_t>{1, 3, 2, 0});
  // Top-k first: k = 3 leaves 0.5/0.9, 0.25/0.9, 0.15/0.9 = 0.56, 0.28, 0.17, and p = 0.8 then
  // stops after two (0.83), where top-p alone at 0.8 keeps three.
  CHECK(seen({.top_k = 3, .top_p = 0.8f}) == std::set<std::int64_t>{1, 3});
  // Within the nucleus the draws follow the renormalised probabilities (1 degree of freedom:
  // the 1 - 1e-6 quantile is 23.9).
  const std::size_t n = 100000;
  CHECK(chi_square(draw_counts(logits, {.top_p = 0.6f}, n), expected_probs(logits, 1.0f, {1, 3}), n) < 23.9);
}

TEST_CASE("sample: the same seed gives the same draws, sample_rows is sample row by row") {
  Generator data(11);
  Array rows = xt::zeros<float>({5, 20});
  for (float& x : rows) x = 2.0f * data.normal();
  const auto row = [&](std::size_t k) {
    Array r = xt::zeros<float>({20});
    for (std::size_t v = 0; v < 20; ++v) r(v) = rows(k, v);
    return from_array(r);
  };
  const SamplingOptions o{.temperature = 0.9f, .top_k = 10, .top_p = 0.95f};
  const auto draws = [&](std::uint64_t seed) {
    Generator g(seed);
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < 200; ++i) out.push_back(sample(row(i % 5), o, g));
    return out;
  };
  CHECK(draws(5) == draws(5));
  CHECK(draws(5) != draws(6));

  Generator g1(9), g2(9);
  const Index batched = sample_rows(from_array(rows), o, g1);
  CHECK(batched.shape() == Shape{5});
  for (std::size_t k = 0; k < 5; ++k) CHECK(batched(k) == sample(row(k), o, g2));
  CHECK(g1.state() == g2.state());
  CHECK(sample_rows(from_array(xt::zeros<float>({0, 3})), o, g1).size() == 0);
}

TEST_CASE("sample: every error names the bad value and what to pass") {
  Generator g(0);
  const Tensor x = from_vector({0.0f, 1.0f});
  CHECK_THROWS_WITH(sample(x, {.temperature = -1.0f}, g),
                    "sample: temperature must be a finite number >= 0, got -1; pass 0 for greedy decoding or a "
                    "positive value (1 samples the model's own distribution, below 1 sharpens it)");
  CHECK_THROWS_WITH(sample(x, {.temperature = NAN}, g),
                    Catch::Matchers::StartsWith("sample: temperature must be a finite number >= 0, got nan"));
  CHECK_THROWS_WITH(sample(x, {.temperature = INFINITY}, g),
                    Catch::Matchers::StartsWith("sample: temperature must be a finite number >= 0, got inf"));
  CHECK_THROWS_WITH(
      sample(x, {.top_p = 0.0f}, g),
      "sample: top_p must be in (0, 1], got 0; pass 1 to turn nucleus sampling off, or a mass such as 0.9");
  CHECK_THROWS_WITH(sample(x, {.top_p = 1.5f}, g),
                    Catch::Matchers::StartsWith("sample: top_p must be in (0, 1], got 1.5"));
  CHECK_THROWS_WITH(sample(x, {.top_p = NAN}, g),
                    Catch::Matchers::StartsWith("sample: top_p must be in (0, 1], got nan"));
  CHECK_THROWS_WITH(sample(from_array(xt::zeros<float>({2, 3})), {}, g),
                    "sample: logits must be (V,), got shape (2, 3); for (K, V) use sample_rows, for (B, T, V) take the "
                    "last position");
  CHECK_THROWS_WITH(sample(from_array(xt::zeros<float>({0})), {}, g),
                    "sample: logits are empty (shape (0,)); pass at least one logit");
  CHECK_THROWS_WITH(sample(from_vector({0.0f, NAN, 1.0f}), {}, g),
                    "sample: logits hold nan at id 1; pass finite logits (-inf blocks a token) - anomaly mode names "
                    "the op that made it");
  CHECK_THROWS_WITH(sample(from_vector({INFINITY}), {.temperature = 0.0f}, g),
                    Catch::Matchers::StartsWith("sample: logits hold inf at id 0"));
  CHECK_THROWS_WITH(sample(from_vector({-INFINITY, -INFINITY}), {}, g),
                    "sample: every one of the 2 logits is -inf, so no token can be chosen; leave at least one token "
                    "unblocked");
  CHECK_THROWS_WITH(sample_rows(x, {}, g),
                    "sample_rows: logits must be (K, V), got shape (2,); for (V,) use sample, for (B, T, V) take the "
                    "last position");
  CHECK_THROWS_WITH(sample_rows(from_array(xt::zeros<float>({2, 0})), {}, g),
                    "sample_rows: logits (2, 0) have no columns; pass at least one logit per row");
  CHECK_THROWS_WITH(sample_rows(from_array(Array{{0.0f, 1.0f}, {NAN, 0.0f}}), {}, g),
                    Catch::Matchers::StartsWith("sample_rows: row 1: logits hold nan at id 0"));
  CHECK_THROWS_WITH(sample_rows(from_array(xt::zeros<float>({1, 2})), {.top_p = 2.0f}, g),
                    Catch::Matchers::StartsWith("sample_rows: top_p must be in (0, 1], got 2"));
}
