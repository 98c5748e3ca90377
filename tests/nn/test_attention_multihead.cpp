// MultiheadAttention and SelfAttention: parameter names, PyTorch agreement (outputs, weights,
// parameter and input gradients), gradient checks under every mask kind, and the errors.
#include <catch2/catch.hpp>
#include <xtensor/xbuilder.hpp>

#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include <attograd/core/core.hpp>
#include <attograd/nn/attention/multihead_attention.hpp>
#include <attograd/nn/attention/self_attention.hpp>

#include "attention_test_support.hpp"
#include "nn_test_support.hpp"

using namespace attograd;
using namespace attograd::testing;
using nn::AttentionMask;
using nn::CausalAlignment;
using nn::MultiheadAttention;
using nn::MultiheadAttentionOptions;
using nn::SelfAttention;
using Ts = std::vector<Tensor>;

namespace {
std::vector<std::string> names_of(const nn::NamedTensors& named) {
  std::vector<std::string> out;
  for (const auto& [n, _] : named) out.push_back(n);
  return out;
}

// Loads the fixture's parameters, runs forward on its inputs (the same tensor three times for
// self-attention), backward from its upstreams, and compares outputs and all gradients.
void check_mha_fixture(MultiheadAttention& mha, const std::string& c, const AttentionMask& mask, bool average) {
  INFO("fixture case " << c);
  mha.load_state_dict(fixture_group(c, "param"));
  const bool self = attention_fixtures().contains(c + "/input/x");
  Ts inputs;
  if (self) {
    inputs = {Tensor(fixture(c + "/input/x"), true)};
  } else {
    for (const char* n : {"query", "key", "value"}) inputs.emplace_back(fixture(c + "/input/" + n), true);
  }
  const Tensor& q = inputs[0];
  const Tensor& k = self ? inputs[0] : inputs[1];
  const Tensor& v = self ? inputs[0] : inputs[2];
  const auto [out, weights] = mha.forward(q, k, v, mask, true, average);
  require_matches_pytorch("output", out.value(), fixture(c + "/out/output"));
  require_matches_pytorch("weights", weights.value(), fixture(c + "/out/weights"));
  (sum(out * Tensor(fixture(c + "/upstream/output"))) + sum(weights * Tensor(fixture(c + "/upstream/weights"))))
      .backward();
  require_parameter_grads_match(mha, c);
  if (self) {
    require_matches_pytorch("grad of x", inputs[0].grad(), fixture(c + "/input_grad/x"));
  } else {
    require_matches_pytorch("grad of query", inputs[0].grad(), fixture(c + "/input_grad/query"));
    require_matches_pytorch("grad of key", inputs[1].grad(), fixture(c + "/input_grad/key"));
    require_matches_pytorch("grad of value", inputs[2].grad(), fixture(c + "/input_grad/value"));
  }
}
}  // namespace

TEST_CASE("MultiheadAttention: PyTorch's parameter names and shapes") {
  MultiheadAttention packed(8, 2);
  CHECK(names_of(packed.named_parameters()) ==
        std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"});
  CHECK(packed.in_proj_weight.shape() == Shape{24, 8});
  CHECK(packed.in_proj_bias.shape() == Shape{24});
  CHECK(allclose(packed.in_proj_bias.value(), xt::zeros<float>({24})));
  CHECK(allclose(packed.out_proj->bias.value(), xt::zeros<float>({8})));
  // xavier_uniform_ on (24, 8): bound √(6 / 32).
  CHECK(xt::amax(xt::abs(packed.in_proj_weight.value()))() <= std::sqrt(6.0f / 32.0f));

  MultiheadAttention separate(
      MultiheadAttentionOptions{.embed_dim = 8, .num_heads = 2, .dropout = 0.0f, .bias = true, .kdim = 6, .vdim = 5});
  CHECK(names_of(separate.named_parameters()) == std::vector<std::string>{"q_proj_weight", "k_proj_weight",
                                                                          "v_proj_weight", "in_proj_bias",
                                                                          "out_proj.weight", "out_proj.bias"});
  CHECK(separate.k_proj_weight.shape() == Shape{8, 6});
  CHECK(separate.v_proj_weight.shape() == Shape{8, 5});

  MultiheadAttention no_bias(MultiheadAttentionOptions{.embed_dim = 4, .num_heads = 1, .dropout = 0.0f, .bias = false});
  CHECK(names_of(no_bias.named_parameters()) == std::vector<std::string>{"in_proj_weight", "out_proj.weight"});
}

TEST_CASE("MultiheadAttention matches PyTorch: self-attention with causal and key-padding masks, averaged weights") {
  MultiheadAttention mha(8, 2);
  const AttentionMask mask = AttentionMask::causal(4, 4, CausalAlignment::TopLeft) &
                             AttentionMask::key_padding(fixture_index("mha_self/input/lengths"), 4);
  check_mha_fixture(mha, "mha_self", mask, true);
}

TEST_CASE("MultiheadAttention matches PyTorch: cross-attention, per-head weights") {
  MultiheadAttention mha(8, 4);
  check_mha_fixture(mha, "mha_cross_per_head",
                    AttentionMask::key_padding(fixture_index("mha_cross_per_head/input/lengths"), 5), false);
}

TEST_CASE("MultiheadAttention matches PyTorch: an additive float mask with -inf") {
  MultiheadAttention mha(6, 2);
  check_mha_fixture(mha, "mha_cross_additive",
                    AttentionMask::additive(Tensor(fixture("mha_cross_additive/input/attn_mask"))), true);
}

TEST_CASE("MultiheadAttention matches PyTorch: kdim/vdim, sequence-first, blocked mask and key padding") {
  MultiheadAttention mha(MultiheadAttentionOptions{
      .embed_dim = 8, .num_heads = 2, .dropout = 0.0f, .bias = true, .kdim = 6, .vdim = 5, .batch_first = false});
  const AttentionMask mask = AttentionMask::blocked(fixture_mask("mha_kvdim/input/attn_mask")) &
                             AttentionMask::key_padding(fixture_index("mha_kvdim/input/lengths"), 4);
  check_mha_fixture(mha, "mha_kvdim", mask, true);
}

TEST_CASE("MultiheadAttention matches PyTorch: without biases") {
  MultiheadAttention mha(MultiheadAttentionOptions{.embed_dim = 4, .num_heads = 1, .dropout = 0.0f, .bias = false});
  check_mha_fixture(mha, "mha_no_bias", {}, false);
}

TEST_CASE("gradcheck: MultiheadAttention under every mask kind") {
  const std::size_t B = 2, T = 3, S = 4;
  MultiheadAttention mha(
      MultiheadAttentionOptions{.embed_dim = 4, .num_heads = 2, .dropout = 0.0f, .bias = true, .kdim = 3, .vdim = 2});
  for (const auto& [name, mask] : mask_cases(B, T, S)) {
    INFO("mask " << name);
    CHECK(check_gradients(
        [&, m = mask](const Ts& in) {
          const auto r = mha.forward(in[6], in[7], in[8], m, true, false);
          return cat({flatten(r.output), flatten(r.weights)});
        },
        with_parameters(mha, {random_input({B, T, 4}), random_input({B, S, 3}), random_input({B, S, 2})})));
  }
  // Per-sequence masks for multi-head scores are (B, 1, T, S).
  CHECK(check_gradients(
      [&](const Ts& in) {
        return mha.forward(in[6], in[7], in[8], AttentionMask::allowed(pattern_mask({B, 1, T, S}))).output;
      },
      with_parameters(mha, {random_input({B, T, 4}), random_input({B, S, 3}), random_input({B, S, 2})})));
}

TEST_CASE("MultiheadAttention: need_weights = false and dropout") {
  MultiheadAttention mha(MultiheadAttentionOptions{.embed_dim = 4, .num_heads = 2, .dropout = 0.5f});
  const Tensor x = random_input({2, 3, 4});
  mha.eval();
  const auto r = mha.forward(x, x, x, {}, false);
  CHECK_FALSE(r.weights.defined());
  CHECK(allclose(r.output.value(), mha.forward(x, x, x).output.value()));  // eval: no dropout
  mha.train();
  const auto t = mha.forward(x, x, x);
  CHECK_FALSE(allclose(t.output.value(), r.output.value()));
}

TEST_CASE("MultiheadAttention: a fully masked query row gives zeros and finite gradients") {
  AnomalyModeGuard anomaly;
  MultiheadAttention mha(4, 2);
  const Tensor q = random_input({1, 3, 4}), kv = random_input({1, 2, 4});
  const auto r = mha.forward(q, kv, kv, AttentionMask::causal(3, 2, CausalAlignment::BottomRight), true, false);
  for (std::size_t h = 0; h < 2; ++h)
    for (std::size_t j = 0; j < 2; ++j) CHECK(r.weights.value()(0, h, 0, j) == 0.0f);
  // The heads output 0, so the row is out_proj's bias (zero at initialisation).
  for (std::size_t e = 0; e < 4; ++e) CHECK(r.output.value()(0, 0, e) == mha.out_proj->bias.value()(e));
  sum(r.output * r.output).backward();
  for (std::size_t d = 0; d < 4; ++d) CHECK(q.grad()(0, 0, d) == 0.0f);
  for (const Tensor& p : mha.parameters()) CHECK(xt::all(xt::isfinite(p.grad())));
}

TEST_CASE("MultiheadAttention: errors name the layer and the shapes") {
  REQUIRE_THROWS_WITH(MultiheadAttention(10, 3),
                      Catch::Contains("MultiheadAttention: embed_dim 10 is not divisible by num_heads 3"));
  REQUIRE_THROWS_WITH(MultiheadAttention(8, 0), Catch::Contains("must be positive"));
  MultiheadAttention mha(
      MultiheadAttentionOptions{.embed_dim = 8, .num_heads = 2, .dropout = 0.0f, .bias = true, .kdim = 6, .vdim = 5});
  const Tensor q = random_input({2, 3, 8}), k = random_input({2, 4, 6}), v = random_input({2, 4, 5});
  REQUIRE_THROWS_WITH(
      mha.forward(random_input({3, 8}), k, v),
      Catch::Contains("MultiheadAttention: query, key and value must be 3-D, got query (B, T, E) = (3, 8), "
                      "key (B, S, kdim) = (2, 4, 6), value (B, S, vdim) = (2, 4, 5)"));
  REQUIRE_THROWS_WITH(
      mha.forward(q, random_input({3, 4, 6}), v),
      Catch::Contains("MultiheadAttention: query, key and value must share the batch size B, got query (B, T, E) = "
                      "(2, 3, 8), key (B, S, kdim) = (3, 4, 6)"));
  REQUIRE_THROWS_WITH(mha.forward(q, k, random_input({2, 5, 5})),
                      Catch::Contains("MultiheadAttention: key and value must share the length S"));
  REQUIRE_THROWS_WITH(
      mha.forward(random_input({2, 3, 7}), k, v),
      Catch::Contains("MultiheadAttention: built for E = 8, kdim = 6, vdim = 5, got query (B, T, E) = (2, 3, 7)"));
  REQUIRE_THROWS_WITH(mha.forward(q, random_input({2, 4, 8}), v), Catch::Contains("key (B, S, kdim) = (2, 4, 8)"));
  REQUIRE_THROWS_WITH(
      mha.forward(q, k, v, AttentionMask::key_padding(Index{4, 4, 4}, 4)),
      Catch::Contains("MultiheadAttention: key_padding(B=3, S=4) mask (B = 3, S = 4) does not match the attention "
                      "scores (B, H, T, S) = (2, 2, 3, 4)"));
  REQUIRE_THROWS_WITH(
      mha.forward(q, k, v, AttentionMask::blocked(Mask(xt::zeros<bool>({2, 3, 4})))),
      Catch::Contains("MultiheadAttention: blocked(2, 3, 4) mask of shape (2, 3, 4) is ambiguous against the "
                      "attention scores (B, H, T, S) = (2, 2, 3, 4): give it all 4 dims"));
  REQUIRE_THROWS_WITH(
      mha.forward(q, k, v, AttentionMask::allowed(Mask(xt::zeros<bool>({2, 1, 3, 5})))),
      Catch::Contains("MultiheadAttention: allowed(2, 1, 3, 5) mask of shape (2, 1, 3, 5) does not broadcast to the "
                      "attention scores (B, H, T, S) = (2, 2, 3, 4)"));
  REQUIRE_THROWS_WITH(mha.forward(q, k, v, AttentionMask::causal(3, 3, CausalAlignment::TopLeft)),
                      Catch::Contains("MultiheadAttention: causal(T=3, S=3, TopLeft) mask does not match"));
  MultiheadAttention seq_first(
      MultiheadAttentionOptions{.embed_dim = 8, .num_heads = 2, .dropout = 0.0f, .bias = true, .batch_first = false});
  CHECK(seq_first.forward(q, random_input({4, 3, 8}), random_input({4, 3, 8})).output.shape() == Shape{2, 3, 8});
  REQUIRE_THROWS_WITH(
      seq_first.forward(q, random_input({4, 2, 8}), random_input({4, 2, 8})),
      Catch::Contains("must share the batch size B, got query (T, B, E) = (2, 3, 8), key (S, B, kdim) = (4, 2, 8)"));
}

TEST_CASE("SelfAttention: one head, optional causal") {
  SelfAttention head(4, 3, /*causal=*/true);
  CHECK(names_of(head.named_parameters()) == std::vector<std::string>{"query.weight", "key.weight", "value.weight"});
  const Tensor x = random_input({2, 5, 4});
  const auto [out, w] = head.forward(x);
  CHECK(out.shape() == Shape{2, 5, 3});
  CHECK(w.shape() == Shape{2, 5, 5});
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t j = i + 1; j < 5; ++j) CHECK(w.value()(1, i, j) == 0.0f);
  // Equal to scaled_dot_product_attention on the projections with an explicit causal mask.
  const auto ref =
      nn::functional::scaled_dot_product_attention(head.query->forward(x), head.key->forward(x), head.value->forward(x),
                                                   AttentionMask::causal(5, 5, CausalAlignment::TopLeft));
  CHECK(allclose(out.value(), ref.output.value()));
  // A later position cannot change an earlier output.
  Tensor x2(x.value());
  x2.mutable_value()(0, 4, 0) += 1.0f;
  const Array changed = xt::view(head.forward(x2).output.value(), 0, xt::range(0, 4));
  const Array original = xt::view(out.value(), 0, xt::range(0, 4));
  CHECK(allclose(changed, original));

  for (const auto& [name, mask] : mask_cases(2, 3, 3)) {
    INFO("mask " << name);
    SelfAttention plain(4, 2, false, true);
    CHECK(check_gradients([&, m = mask](const Ts& in) { return plain.forward(in.back(), m).output; },
                          with_parameters(plain, {random_input({2, 3, 4})})));
  }
  REQUIRE_THROWS_WITH(head.forward(random_input({2, 5, 3})),
                      Catch::Contains("SelfAttention: expected x of shape (B, T, E = 4), got (2, 5, 3)"));
  REQUIRE_THROWS_WITH(
      head.forward(x, AttentionMask::allowed(Mask(xt::zeros<bool>({5, 4})))),
      Catch::Contains("SelfAttention: allowed(5, 4) mask of shape (5, 4) does not broadcast to the attention scores "
                      "(B, T, S) = (2, 5, 5)"));
}
