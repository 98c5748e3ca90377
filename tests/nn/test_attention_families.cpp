// Bahdanau and Luong attention: gradient checks under every mask kind, PyTorch agreement
// (outputs and parameter gradients), and their errors.
#include <catch2/catch.hpp>
#include <xtensor/xbuilder.hpp>

#include <attograd/core/core.hpp>
#include <attograd/nn/attention/additive_attention.hpp>
#include <attograd/nn/attention/attention_functional.hpp>
#include <attograd/nn/attention/luong_attention.hpp>

#include "attention_test_support.hpp"
#include "nn_test_support.hpp"

using namespace attograd;
using namespace attograd::testing;
using nn::AdditiveAttention;
using nn::AttentionMask;
using nn::LuongAttention;
using nn::LuongScore;
using Ts = std::vector<Tensor>;

namespace {

// Forward on the fixture's inputs, backward from its upstream gradients, compare everything.
template <class Attention>
void check_against_fixture(Attention& attention, const std::string& c, const AttentionMask& mask) {
  attention.load_state_dict(fixture_group(c, "param"));
  const Tensor query(fixture(c + "/input/query"), true), keys(fixture(c + "/input/keys"), true),
      values(fixture(c + "/input/values"), true);
  const auto [context, weights] = attention.forward(query, keys, values, mask);
  require_matches_pytorch("context", context.value(), fixture(c + "/out/context"));
  require_matches_pytorch("weights", weights.value(), fixture(c + "/out/weights"));
  Tensor loss =
      sum(context * Tensor(fixture(c + "/upstream/context"))) + sum(weights * Tensor(fixture(c + "/upstream/weights")));
  if constexpr (std::is_same_v<Attention, LuongAttention>) {
    const Tensor h_tilde = attention.attentional_hidden(context, query);
    require_matches_pytorch("attentional_hidden", h_tilde.value(), fixture(c + "/out/attentional_hidden"));
    loss = loss + sum(h_tilde * Tensor(fixture(c + "/upstream/attentional_hidden")));
  }
  loss.backward();
  require_parameter_grads_match(attention, c);
  require_matches_pytorch("grad of query", query.grad(), fixture(c + "/input_grad/query"));
  require_matches_pytorch("grad of keys", keys.grad(), fixture(c + "/input_grad/keys"));
  require_matches_pytorch("grad of values", values.grad(), fixture(c + "/input_grad/values"));
}
}  // namespace

TEST_CASE("AdditiveAttention: shapes and parameters follow the paper") {
  AdditiveAttention att(6, 4, 7);
  const auto names = att.named_parameters();
  REQUIRE(names.size() == 4);
  CHECK(names[0].first == "query_weight");
  CHECK(names[0].second.shape() == Shape{7, 6});
  CHECK(names[1].first == "key_weight");
  CHECK(names[1].second.shape() == Shape{7, 4});
  CHECK(names[2].first == "bias");
  CHECK(names[3].first == "v");
  const auto steps = att.forward(random_input({2, 3, 6}), random_input({2, 5, 4}), random_input({2, 5, 3}));
  CHECK(steps.output.shape() == Shape{2, 3, 3});
  CHECK(steps.weights.shape() == Shape{2, 3, 5});
  const auto one = att.forward(random_input({2, 6}), random_input({2, 5, 4}), random_input({2, 5, 3}));
  CHECK(one.output.shape() == Shape{2, 3});
  CHECK(one.weights.shape() == Shape{2, 5});
}

TEST_CASE("gradcheck: AdditiveAttention under every mask kind") {
  const std::size_t B = 2, T = 3, S = 4;
  AdditiveAttention att(3, 2, 4);
  for (const auto& [name, mask] : mask_cases(B, T, S)) {
    INFO("mask " << name << ", all steps");
    CHECK(check_gradients(
        [&, m = mask](const Ts& in) { return att.forward(in[4], in[5], in[6], m).output; },
        with_parameters(att, {random_input({B, T, 3}), random_input({B, S, 2}), random_input({B, S, 2})})));
  }
  for (const auto& [name, mask] : mask_cases(B, T, S, true)) {
    INFO("mask " << name << ", one step");
    CHECK(check_gradients(
        [&, m = mask](const Ts& in) { return att.forward(in[4], in[5], in[6], m).output; },
        with_parameters(att, {random_input({B, 3}), random_input({B, S, 2}), random_input({B, S, 2})})));
  }
}

TEST_CASE("gradcheck: LuongAttention (dot, general, concat) under every mask kind") {
  const std::size_t B = 2, T = 3, S = 4;
  for (const LuongScore score : {LuongScore::Dot, LuongScore::General, LuongScore::Concat}) {
    LuongAttention att(score, 3, score == LuongScore::Dot ? 3 : 2, 2);
    const std::size_t Dk = score == LuongScore::Dot ? 3 : 2, P = att.parameters().size();
    for (const auto& [name, mask] : mask_cases(B, T, S)) {
      INFO(att.describe() << ", mask " << name);
      CHECK(check_gradients(
          [&, m = mask](const Ts& in) {
            const auto r = att.forward(in[P], in[P + 1], in[P + 2], m);
            return att.attentional_hidden(r.output, in[P]);
          },
          with_parameters(att, {random_input({B, T, 3}), random_input({B, S, Dk}), random_input({B, S, 2})})));
    }
    for (const auto& [name, mask] : mask_cases(B, T, S, true)) {
      INFO(att.describe() << ", one step, mask " << name);
      CHECK(check_gradients(
          [&, m = mask](const Ts& in) { return att.forward(in[P], in[P + 1], in[P + 2], m).output; },
          with_parameters(att, {random_input({B, 3}), random_input({B, S, Dk}), random_input({B, S, 2})})));
    }
  }
}

TEST_CASE("AdditiveAttention matches PyTorch (outputs and gradients)") {
  {
    AdditiveAttention att(6, 4, 7);
    check_against_fixture(att, "bahdanau_steps",
                          AttentionMask::key_padding(fixture_index("bahdanau_steps/input/lengths"), 5));
  }
  {
    AdditiveAttention att(6, 4, 7);
    check_against_fixture(att, "bahdanau_one_step",
                          AttentionMask::key_padding(fixture_index("bahdanau_one_step/input/lengths"), 5));
  }
}

TEST_CASE("LuongAttention matches PyTorch (outputs, h̃ and gradients)") {
  SECTION("dot") {
    LuongAttention att(LuongScore::Dot, 5, 5, 3);
    check_against_fixture(att, "luong_dot", AttentionMask::key_padding(fixture_index("luong_dot/input/lengths"), 5));
  }
  SECTION("general") {
    LuongAttention att(LuongScore::General, 5, 4, 3);
    check_against_fixture(att, "luong_general",
                          AttentionMask::key_padding(fixture_index("luong_general/input/lengths"), 5));
  }
  SECTION("general, one step") {
    LuongAttention att(LuongScore::General, 5, 4, 3);
    check_against_fixture(att, "luong_general_one_step",
                          AttentionMask::key_padding(fixture_index("luong_general_one_step/input/lengths"), 5));
  }
  SECTION("concat, with key padding and an allowed mask") {
    LuongAttention att(LuongScore::Concat, 5, 4, 3, 6);
    const AttentionMask mask = AttentionMask::key_padding(fixture_index("luong_concat/input/lengths"), 5) &
                               AttentionMask::allowed(fixture_mask("luong_concat/input/allowed"));
    check_against_fixture(att, "luong_concat", mask);
  }
}

TEST_CASE("Bahdanau and Luong: a fully masked row gives zeros and finite gradients") {
  AnomalyModeGuard anomaly;
  AdditiveAttention bahdanau(3, 2, 4);
  LuongAttention luong(LuongScore::General, 3, 2, 2);
  const AttentionMask no_keys = AttentionMask::key_padding(Index{0, 2}, 4);  // sequence 0 has no keys
  const Tensor q = random_input({2, 3}), k = random_input({2, 4, 2}), v = random_input({2, 4, 2});
  for (const auto& r : {bahdanau.forward(q, k, v, no_keys), luong.forward(q, k, v, no_keys)}) {
    CHECK(r.output.value()(0, 0) == 0.0f);
    CHECK(r.output.value()(0, 1) == 0.0f);
    CHECK(r.weights.value()(0, 3) == 0.0f);
    sum(r.output * r.output).backward();
  }
  CHECK(q.grad()(0, 0) == 0.0f);
  for (const Tensor& p : bahdanau.parameters()) CHECK(p.has_grad());
}

TEST_CASE("Bahdanau and Luong: errors name the layer and the shapes") {
  AdditiveAttention bahdanau(6, 4);
  REQUIRE_THROWS_WITH(
      bahdanau.forward(random_input({2, 3, 6}), random_input({2, 5, 3}), random_input({2, 5, 2})),
      Catch::Contains("AdditiveAttention: built for Dq = 6, Dk = 4, got query (2, 3, 6) and keys (2, 5, 3)"));
  REQUIRE_THROWS_WITH(
      bahdanau.forward(random_input({6}), random_input({2, 5, 4}), random_input({2, 5, 2})),
      Catch::Contains("AdditiveAttention: expected query (B, Dq) or (B, T, Dq), keys (B, S, Dk), values (B, S, Dv); "
                      "got (6,), (2, 5, 4), (2, 5, 2)"));
  REQUIRE_THROWS_WITH(bahdanau.forward(random_input({3, 6}), random_input({2, 5, 4}), random_input({2, 5, 2})),
                      Catch::Contains("disagree on the batch size B"));
  REQUIRE_THROWS_WITH(bahdanau.forward(random_input({2, 6}), random_input({2, 5, 4}), random_input({2, 4, 2})),
                      Catch::Contains("disagree on the batch size B or keys and values on the length S"));
  REQUIRE_THROWS_WITH(
      bahdanau.forward(random_input({2, 6}), random_input({2, 5, 4}), random_input({2, 5, 2}),
                       AttentionMask::allowed(Mask(xt::zeros<bool>({3, 5})))),
      Catch::Contains("AdditiveAttention: allowed(3, 5) mask of shape (3, 5) does not broadcast to the attention "
                      "scores (…, T, S) = (2, 5)"));

  REQUIRE_THROWS_WITH(
      LuongAttention(LuongScore::Dot, 5, 4),
      Catch::Contains("LuongAttention: the dot score needs query_dim == key_dim (qᵀ k), got Dq = 5 and Dk = 4"));
  LuongAttention general(LuongScore::General, 5, 4, 3);
  REQUIRE_THROWS_WITH(
      general.forward(random_input({2, 3, 5}), random_input({2, 6, 4}), random_input({2, 6, 2})),
      Catch::Contains(
          "LuongAttention (general): built for Dq = 5, Dk = 4, Dv = 3, got (2, 3, 5), (2, 6, 4), (2, 6, 2)"));
  REQUIRE_THROWS_WITH(
      general.attentional_hidden(random_input({2, 3}), random_input({2, 4})),
      Catch::Contains("LuongAttention::attentional_hidden: expected context (…, Dv = 3) and hidden (…, Dq = 5)"));
  REQUIRE_THROWS_WITH(
      general.forward(random_input({2, 3, 5}), random_input({2, 6, 4}), random_input({2, 6, 3}),
                      AttentionMask::causal(3, 3, nn::CausalAlignment::TopLeft)),
      Catch::Contains("LuongAttention: causal(T=3, S=3, TopLeft) mask does not match the attention scores "
                      "(B, T, S) = (2, 3, 6)"));
}
