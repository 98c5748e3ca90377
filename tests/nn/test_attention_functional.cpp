// scaled_dot_product_attention and masked_softmax: values, fully masked rows, gradient checks
// under every mask kind, and the shape errors.
#include <catch2/catch.hpp>

#include <cmath>

#include <attograd/core/core.hpp>
#include <attograd/nn/attention/attention_functional.hpp>

#include "attention_test_support.hpp"

using namespace attograd;
using namespace attograd::testing;
using nn::AttentionMask;
using nn::CausalAlignment;
using nn::functional::masked_softmax;
using nn::functional::scaled_dot_product_attention;
using Ts = std::vector<Tensor>;

namespace {
bool all_finite(const Array& a) {
  for (float x : a)
    if (!std::isfinite(x)) return false;
  return true;
}
}  // namespace

TEST_CASE("scaled_dot_product_attention: by hand") {
  // One query, two keys: scores (q·k) / √2 = (1, 0) / √2.
  const Tensor q = from_vector({1, 1}, {1, 1, 2});
  const Tensor k = from_vector({1, 0, 0, 0}, {1, 2, 2});
  const Tensor v = from_vector({10, 0, 0, 20}, {1, 2, 2});
  const auto [out, w] = scaled_dot_product_attention(q, k, v);
  const float a = 1.0f / (1.0f + std::exp(-1.0f / std::sqrt(2.0f)));  // softmax of (s, 0) at the first key
  CHECK(allclose(w.value(), from_vector({a, 1 - a}, {1, 1, 2}).value()));
  CHECK(allclose(out.value(), from_vector({10 * a, 20 * (1 - a)}, {1, 1, 2}).value()));
  // An explicit scale replaces 1/√D.
  const auto scaled = scaled_dot_product_attention(q, k, v, {}, 0.0f, 1.0f);
  const float b = 1.0f / (1.0f + std::exp(-1.0f));
  CHECK(allclose(scaled.weights.value(), from_vector({b, 1 - b}, {1, 1, 2}).value()));
}

TEST_CASE("scaled_dot_product_attention: blocked keys get weight exactly 0") {
  const Tensor q = random_input({2, 3, 4}), k = random_input({2, 5, 4}), v = random_input({2, 5, 6});
  const auto [out, w] = scaled_dot_product_attention(q, k, v, AttentionMask::key_padding(Index{5, 2}, 5));
  for (std::size_t t = 0; t < 3; ++t) {
    CHECK(w.value()(1, t, 2) == 0.0f);
    CHECK(w.value()(1, t, 4) == 0.0f);
    CHECK(std::abs(w.value()(1, t, 0) + w.value()(1, t, 1) - 1.0f) < 1e-6f);
  }
  // Padding keys' values cannot leak into the output: change them and nothing moves.
  Tensor v2 = Tensor(v.value());
  v2.mutable_value()(1, 3, 0) = 1000.0f;
  const auto again = scaled_dot_product_attention(q, k, v2, AttentionMask::key_padding(Index{5, 2}, 5));
  CHECK(allclose(again.output.value(), out.value()));
}

TEST_CASE(
    "scaled_dot_product_attention: a fully masked row gives zero weights, zero output and finite zero gradients") {
  AnomalyModeGuard anomaly;  // any NaN/Inf in a backward throws, naming the op
  const Tensor q = random_input({1, 3, 4}), k = random_input({1, 2, 4}), v = random_input({1, 2, 5});
  // Bottom-right causal with T = 3 > S = 2: query 0 may see no key at all.
  const AttentionMask mask = AttentionMask::causal(3, 2, CausalAlignment::BottomRight);
  const auto [out, w] = scaled_dot_product_attention(q, k, v, mask);
  for (std::size_t j = 0; j < 2; ++j) CHECK(w.value()(0, 0, j) == 0.0f);
  for (std::size_t e = 0; e < 5; ++e) CHECK(out.value()(0, 0, e) == 0.0f);
  CHECK(all_finite(out.value()));
  sum(out * out).backward();
  for (const Tensor* t : {&q, &k, &v}) CHECK(all_finite(t->grad()));
  for (std::size_t d = 0; d < 4; ++d) CHECK(q.grad()(0, 0, d) == 0.0f);  // the masked query learns nothing
  // The other rows are ordinary attention.
  const auto rows =
      scaled_dot_product_attention(slice(q, 1, 1, 3), k, v, AttentionMask::causal(2, 2, CausalAlignment::TopLeft));
  CHECK(allclose(slice(out, 1, 1, 3).value(), rows.output.value()));

  // Every key blocked for every query, and the same through an additive -inf bias.
  const float inf = std::numeric_limits<float>::infinity();
  for (const AttentionMask& all :
       {AttentionMask::key_padding(Index{0}, 2), AttentionMask::additive(full({1, 2}, -inf))}) {
    const Tensor q2 = random_input({1, 3, 4});
    const auto r = scaled_dot_product_attention(q2, k, v, all);
    CHECK(allclose(r.output.value(), xt::zeros<float>({1, 3, 5})));
    CHECK(allclose(r.weights.value(), xt::zeros<float>({1, 3, 2})));
    sum(r.output).backward();
    CHECK(allclose(q2.grad(), xt::zeros<float>({1, 3, 4})));
  }
  CHECK(check_gradients([&](const Ts& in) { return scaled_dot_product_attention(in[0], in[1], in[2], mask).output; },
                        {random_input({1, 3, 4}), random_input({1, 2, 4}), random_input({1, 2, 5})}));
}

TEST_CASE("masked_softmax: rows sum to one over allowed keys") {
  const Tensor scores = random_input({2, 3, 4}, -3.0f, 3.0f);
  for (const auto& [name, mask] : mask_cases(2, 3, 4)) {
    INFO("mask " << name);
    const Array w = masked_softmax(scores, mask).value();
    const Mask blocked = mask.blocked_positions(scores.shape(), "test");
    for (std::size_t r = 0; r < 6; ++r) {
      float total = 0.0f;
      bool any_allowed = false;
      for (std::size_t j = 0; j < 4; ++j) {
        total += w.data()[r * 4 + j];
        if (blocked.data()[r * 4 + j]) CHECK(w.data()[r * 4 + j] == 0.0f);
        any_allowed = any_allowed || !blocked.data()[r * 4 + j];
      }
      CHECK(std::abs(total - (any_allowed ? 1.0f : 0.0f)) < 1e-5f);
    }
  }
}

TEST_CASE("gradcheck: scaled_dot_product_attention under every mask kind") {
  const std::size_t B = 2, T = 3, S = 4;
  for (const auto& [name, mask] : mask_cases(B, T, S)) {
    INFO("mask " << name << ", (B, T, S)");
    CHECK(check_gradients(
        [m = mask](const Ts& in) { return scaled_dot_product_attention(in[0], in[1], in[2], m).output; },
        {random_input({B, T, 5}), random_input({B, S, 5}), random_input({B, S, 2})}));
  }
  for (const auto& [name, mask] : mask_cases(B, T, S)) {
    INFO("mask " << name << ", (B, H, T, S), weights");
    CHECK(check_gradients(
        [m = mask](const Ts& in) { return scaled_dot_product_attention(in[0], in[1], in[2], m).weights; },
        {random_input({B, 2, T, 3}), random_input({B, 2, S, 3}), random_input({B, 2, S, 2})}));
  }
}

TEST_CASE("gradcheck: a learned additive bias gets its gradient") {
  const Tensor q = random_input({2, 3, 4}), k = random_input({2, 5, 4}), v = random_input({2, 5, 3});
  CHECK(check_gradients(
      [&](const Ts& in) { return scaled_dot_product_attention(q, k, v, AttentionMask::additive(in[0])).output; },
      {random_input({3, 5})}));
}

TEST_CASE("scaled_dot_product_attention: dropout only while training, weights returned before dropout") {
  const Tensor q = random_input({2, 3, 4}), k = random_input({2, 5, 4}), v = random_input({2, 5, 3});
  const auto plain = scaled_dot_product_attention(q, k, v);
  const auto eval = scaled_dot_product_attention(q, k, v, {}, 0.5f, std::nullopt, false);
  CHECK(allclose(eval.output.value(), plain.output.value()));
  Generator gen(7);
  const auto train = scaled_dot_product_attention(q, k, v, {}, 0.5f, std::nullopt, true, &gen);
  CHECK(allclose(train.weights.value(), plain.weights.value()));
  CHECK_FALSE(allclose(train.output.value(), plain.output.value()));
}

TEST_CASE("scaled_dot_product_attention: shape errors") {
  const Tensor q = random_input({2, 3, 4});
  REQUIRE_THROWS_WITH(
      scaled_dot_product_attention(q, random_input({2, 5, 6}), random_input({2, 5, 6})),
      Catch::Contains("scaled_dot_product_attention: query (…, T, D) = (2, 3, 4) and key (…, S, D) = (2, 5, 6) "
                      "have different widths D (4 and 6)"));
  REQUIRE_THROWS_WITH(
      scaled_dot_product_attention(q, random_input({2, 5, 4}), random_input({2, 6, 4})),
      Catch::Contains("key (…, S, D) = (2, 5, 4) and value (…, S, Dv) = (2, 6, 4) have different lengths S (5 and 6)"));
  REQUIRE_THROWS_WITH(scaled_dot_product_attention(random_input({4}), random_input({2, 5, 4}), random_input({2, 5, 4})),
                      Catch::Contains("need at least 2 dims"));
  REQUIRE_THROWS_WITH(scaled_dot_product_attention(q, random_input({2, 5, 4}), random_input({2, 5, 4}),
                                                   AttentionMask::causal(3, 3, CausalAlignment::TopLeft)),
                      Catch::Contains("scaled_dot_product_attention: causal(T=3, S=3, TopLeft) mask does not match"));
  REQUIRE_THROWS_WITH(scaled_dot_product_attention(q, q, q, {}, 1.5f),
                      Catch::Contains("dropout_p must be in [0, 1], got 1.5"));
}
