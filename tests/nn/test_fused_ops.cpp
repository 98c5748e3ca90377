// The fused nn ops against their composite forms: same values, same gradients, a gradient
// check of their own, and their shape errors. (The layers built on them are also checked
// against PyTorch in test_nn_golden.cpp and test_attention_families.cpp.)
#include <malloc.h>

#include <functional>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>
#include <attograd/nn/attention/additive_attention.hpp>
#include <attograd/nn/attention/multihead_attention.hpp>
#include <attograd/nn/rnn/gru.hpp>
#include <attograd/nn/rnn/lstm.hpp>

#include "../support/gradcheck.hpp"
#include "attention_test_support.hpp"
#include "nn_composite_paths.hpp"

using namespace attograd;
using attograd::testing::allclose;
using attograd::testing::check_gradients;
using attograd::testing::random_input;
using Ts = std::vector<Tensor>;
using Catch::Matchers::Contains;

namespace {

using Op = std::function<Tensor(const Ts&)>;

// Runs fused and composite on fresh copies of the same inputs with the same upstream gradient
// and compares outputs and every input's gradient.
void check_same_as_composite(const Op& fused, const Op& composite, const std::vector<Shape>& shapes) {
  Ts a, b;
  for (const Shape& shape : shapes) {
    a.push_back(random_input(shape, -2.0f, 2.0f));
    b.push_back(Tensor(a.back().value(), true));
  }
  const Tensor y_fused = fused(a), y_composite = composite(b);
  CHECK(allclose(y_fused.value(), y_composite.value(), 1e-5f, 1e-6f));
  const Tensor seed = random_input(y_fused.shape());
  sum(y_fused * seed.detach()).backward();
  sum(y_composite * seed.detach()).backward();
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("input " << i);
    CHECK(allclose(a[i].grad(), b[i].grad(), 1e-5f, 1e-6f));
  }
}

}  // namespace

TEST_CASE("gru_update equals its composite form, values and gradients") {
  for (const std::size_t B : {1u, 3u}) {
    for (const std::size_t H : {1u, 5u, 33u}) {
      INFO("B = " << B << ", H = " << H);
      check_same_as_composite([](const Ts& in) { return nn::functional::gru_update(in[0], in[1], in[2]); },
                              [](const Ts& in) { return nn::functional::gru_update_composite(in[0], in[1], in[2]); },
                              {{B, 3 * H}, {B, 3 * H}, {B, H}});
    }
  }
}

TEST_CASE("gradcheck: gru_update") {
  CHECK(check_gradients([](const Ts& in) { return nn::functional::gru_update(in[0], in[1], in[2]); },
                        {random_input({2, 12}), random_input({2, 12}), random_input({2, 4})}));
}

TEST_CASE("gru_update names the shapes it cannot use") {
  const Tensor gx = random_input({2, 12}), h = random_input({2, 4});
  CHECK_THROWS_WITH(nn::functional::gru_update(gx, random_input({2, 9}), h),
                    Contains("expected gates_x and gates_h (B, 3H) and h (B, H), got (2, 12), (2, 9), (2, 4)"));
  CHECK_THROWS_WITH(nn::functional::gru_update(gx, gx, random_input({3, 4})), Contains("(2, 12), (2, 12), (3, 4)"));
  CHECK_THROWS_WITH(nn::functional::gru_update_composite(gx, gx, random_input({2, 5})),
                    Contains("(2, 12), (2, 12), (2, 5)"));
}

TEST_CASE("lstm_update equals its composite form, both outputs and all gradients") {
  auto both = [](auto op) {
    return [op](const Ts& in) {
      const nn::LSTMState s = op(in[0], in[1]);
      return cat({s.h, s.c}, 1);  // (B, 2H): h' and c' both feed the loss
    };
  };
  for (const std::size_t B : {1u, 3u}) {
    for (const std::size_t H : {1u, 5u, 33u}) {
      INFO("B = " << B << ", H = " << H);
      check_same_as_composite(both(nn::functional::lstm_update), both(nn::functional::lstm_update_composite),
                              {{B, 4 * H}, {B, H}});
    }
  }
}

TEST_CASE("gradcheck: lstm_update, through h' and through c'") {
  for (const bool through_c : {false, true}) {
    INFO((through_c ? "c'" : "h'"));
    CHECK(check_gradients(
        [through_c](const Ts& in) {
          const nn::LSTMState s = nn::functional::lstm_update(in[0], in[1]);
          return through_c ? s.c : s.h;
        },
        {random_input({2, 16}), random_input({2, 4})}));
  }
}

TEST_CASE("lstm_update names the shapes it cannot use") {
  CHECK_THROWS_WITH(nn::functional::lstm_update(random_input({2, 12}), random_input({2, 4})),
                    Contains("lstm_update: expected gates (B, 4H) and c (B, H), got (2, 12) and (2, 4)"));
  CHECK_THROWS_WITH(nn::functional::lstm_update_composite(random_input({2, 16}), random_input({3, 4})),
                    Contains("got (2, 16) and (3, 4)"));
}

TEST_CASE("additive_scores equals its composite form, values and gradients") {
  for (const auto& [B, T, S, A] : std::vector<std::array<std::size_t, 4>>{{1, 1, 1, 1}, {2, 1, 5, 7}, {3, 4, 6, 17}}) {
    INFO("B = " << B << ", T = " << T << ", S = " << S << ", A = " << A);
    check_same_as_composite([](const Ts& in) { return nn::functional::additive_scores(in[0], in[1], in[2]); },
                            [](const Ts& in) { return nn::functional::additive_scores_composite(in[0], in[1], in[2]); },
                            {{B, T, A}, {B, S, A}, {A}});
  }
}

TEST_CASE("gradcheck: additive_scores") {
  CHECK(check_gradients([](const Ts& in) { return nn::functional::additive_scores(in[0], in[1], in[2]); },
                        {random_input({2, 3, 4}), random_input({2, 5, 4}), random_input({4})}));
}

TEST_CASE("additive_scores names the shapes it cannot use") {
  CHECK_THROWS_WITH(
      nn::functional::additive_scores(random_input({2, 3, 4}), random_input({2, 5, 3}), random_input({4})),
      Contains("expected q_proj (B, T, A), k_proj (B, S, A) and v (A), got (2, 3, 4), (2, 5, 3) and (4,)"));
  CHECK_THROWS_WITH(
      nn::functional::additive_scores(random_input({2, 3, 4}), random_input({1, 5, 4}), random_input({4})),
      Contains("got (2, 3, 4), (1, 5, 4) and (4,)"));
  CHECK_THROWS_WITH(
      nn::functional::additive_scores_composite(random_input({2, 4}), random_input({2, 5, 4}), random_input({4})),
      Contains("got (2, 4), (2, 5, 4) and (4,)"));
}

namespace {

// Every mask kind for (B, H, T, S) scores, plus one that blocks every key of sequence 0.
std::vector<std::pair<std::string, nn::AttentionMask>> head_mask_cases(std::size_t B, std::size_t T, std::size_t S) {
  auto cases = attograd::testing::mask_cases(B, T, S);
  Index lengths = Index::from_shape({B});
  for (std::size_t b = 0; b < B; ++b) lengths(b) = b == 0 ? 0 : static_cast<std::int64_t>(S);
  cases.emplace_back("fully blocked rows", nn::AttentionMask::key_padding(lengths, S));
  return cases;
}

}  // namespace

namespace {

// MultiheadAttention whose projections are the identity (no biases): its forward is then the
// heads step alone - fused::attention_heads with fused kernels on, split + scaled_dot_product_
// attention + merge with them off - on q (B, T, E), k and v (B, S, E) given as they are.
std::shared_ptr<nn::MultiheadAttention> identity_heads(std::size_t E, std::size_t H) {
  auto mha = std::make_shared<nn::MultiheadAttention>(
      nn::MultiheadAttentionOptions{.embed_dim = E, .num_heads = H, .bias = false});
  NoGradGuard no_grad;
  const Array eye = xt::eye<float>(E);
  for (std::size_t part = 0; part < 3; ++part)
    for (std::size_t i = 0; i < E; ++i)
      for (std::size_t j = 0; j < E; ++j) mha->in_proj_weight.mutable_value()(part * E + i, j) = eye(i, j);
  mha->out_proj->weight.mutable_value() = eye;
  return mha;
}

// Output and weights both feed the loss, so both backwards are compared.
Tensor heads_and_weights(const nn::MultiheadAttention& mha, const Tensor& q, const Tensor& k, const Tensor& v,
                         const nn::AttentionMask& mask, bool average) {
  const auto r = mha.forward(q, k, v, mask, true, average);
  return cat({reshape(r.output, {-1}), reshape(r.weights, {-1})}, 0);
}

}  // namespace

TEST_CASE("MultiheadAttention's fused heads equal its composite path: output, weights and all gradients, every mask") {
  const std::size_t B = 2, H = 2, D = 3, E = H * D;
  const auto mha = identity_heads(E, H);
  for (const auto& [T, S] : std::vector<std::pair<std::size_t, std::size_t>>{{3, 3}, {2, 5}}) {
    for (const auto& [name, mask] : head_mask_cases(B, T, S)) {
      for (const bool average : {true, false}) {
        INFO("T = " << T << ", S = " << S << ", mask " << name << (average ? ", averaged" : ", per head"));
        const auto op = [&, m = mask](const Ts& in) {
          return heads_and_weights(*mha, in[0], in[1], in[2], m, average);
        };
        check_same_as_composite(op, [&](const Ts& in) { return composite_path([&] { return op(in); }); },
                                {{B, T, E}, {B, S, E}, {B, S, E}});
      }
    }
  }
  SECTION("self-attention: one tensor as query, key and value (one packed projection)") {
    for (const auto& [name, mask] : head_mask_cases(B, 3, 3)) {
      INFO("mask " << name);
      const auto op = [&, m = mask](const Ts& in) { return heads_and_weights(*mha, in[0], in[0], in[0], m, false); };
      check_same_as_composite(op, [&](const Ts& in) { return composite_path([&] { return op(in); }); }, {{B, 3, E}});
    }
  }
}

TEST_CASE("MultiheadAttention's streaming heads (no weights asked) equal its composite path, every mask") {
  // Without need_weights the fused path streams over blocks of 64 queries and 256 keys
  // (core/fused/streaming_heads.cpp) for causal and key-padding masks from 256² scores per head
  // on, and keeps P otherwise; the lengths here cross both block sizes, with partial last blocks.
  const std::size_t B = 2, H = 2, D = 3, E = H * D;
  const auto mha = identity_heads(E, H);
  for (const auto& [T, S] : std::vector<std::pair<std::size_t, std::size_t>>{{3, 3}, {70, 1000}, {260, 260}}) {
    auto cases = head_mask_cases(B, T, S);
    Index lengths = Index::from_shape({B});
    lengths(0) = static_cast<std::int64_t>(S / 3), lengths(1) = static_cast<std::int64_t>(S);
    cases.emplace_back("causal and key padding", nn::AttentionMask::causal(T, S, nn::CausalAlignment::BottomRight) &
                                                     nn::AttentionMask::key_padding(lengths, S));
    cases.emplace_back("two causal masks", nn::AttentionMask::causal(T, S, nn::CausalAlignment::TopLeft) &
                                               nn::AttentionMask::causal(T, S, nn::CausalAlignment::BottomRight));
    for (const auto& [name, mask] : cases) {
      INFO("T = " << T << ", S = " << S << ", mask " << name);
      const auto op = [&, m = mask](const Ts& in) { return mha->forward(in[0], in[1], in[2], m, false).output; };
      check_same_as_composite(op, [&](const Ts& in) { return composite_path([&] { return op(in); }); },
                              {{B, T, E}, {B, S, E}, {B, S, E}});
    }
  }
  SECTION("self-attention, packed, causal, over several blocks of queries and keys") {
    const auto op = [&](const Ts& in) {
      return mha->forward(in[0], in[0], in[0], nn::AttentionMask::causal(300, 300, nn::CausalAlignment::TopLeft), false)
          .output;
    };
    check_same_as_composite(op, [&](const Ts& in) { return composite_path([&] { return op(in); }); }, {{B, 300, E}});
  }
}

TEST_CASE("gradcheck: fused::attention_heads under a causal shift and padded keys, streaming and keeping P") {
  fused::HeadsMask mask;
  mask.causal_shift = 1;  // query i sees keys j <= i + 1
  Mask padded = Mask(xt::zeros<bool>(Shape{2, 4}));
  padded(1, 3) = true;
  mask.padded_keys = padded;
  const fused::HeadsOptions options{.num_heads = 2, .need_weights = false, .streaming_from = 0};
  CHECK(check_gradients([&](const Ts& in) { return fused::attention_heads(in[0], in[1], in[2], mask, options).output; },
                        {random_input({2, 3, 4}), random_input({2, 4, 4}), random_input({2, 4, 4})}));
  CHECK(check_gradients([&](const Ts& in) { return fused::attention_heads_packed(in[0], {}, options).output; },
                        {random_input({2, 3, 12})}));
  // The same mask through the path that keeps P (weights asked), which reads it row by row.
  const fused::HeadsOptions stored{.num_heads = 2, .average_weights = false};
  for (const bool through_weights : {false, true}) {
    INFO((through_weights ? "through the weights" : "through the output"));
    CHECK(check_gradients(
        [&](const Ts& in) {
          const auto r = fused::attention_heads(in[0], in[1], in[2], mask, stored);
          return through_weights ? r.weights : r.output;
        },
        {random_input({2, 3, 4}), random_input({2, 4, 4}), random_input({2, 4, 4})}));
  }
}

TEST_CASE("fused::attention_heads streaming: a fully blocked row gives zeros and finite zero gradients") {
  Tensor q = random_input({2, 3, 4}), k = random_input({2, 2, 4}), v = random_input({2, 2, 4});
  fused::HeadsMask mask;
  mask.padded_keys = Mask(xt::zeros<bool>(Shape{2, 2}));
  (*mask.padded_keys)(0, 0) = (*mask.padded_keys)(0, 1) = true;  // sequence 0: every key padding
  mask.causal_shift = -1;                                        // and query 0 sees no key at all
  AnomalyModeGuard anomaly;
  const auto r = fused::attention_heads(q, k, v, mask, {.num_heads = 2, .need_weights = false, .streaming_from = 0});
  CHECK_FALSE(r.weights.defined());
  sum(r.output * r.output).backward();
  for (std::size_t i = 0; i < 3 * 4; ++i) CHECK(r.output.value().data()[i] == 0.0f);  // sequence 0
  for (std::size_t i = 0; i < 4; ++i) CHECK(r.output.value()(1, 0, i) == 0.0f);       // query 0 of sequence 1
  for (const Tensor& t : {q, k, v})
    for (const float g : t.grad()) CHECK(std::isfinite(g));
  for (std::size_t i = 0; i < 3 * 4; ++i) CHECK(q.grad().data()[i] == 0.0f);
}

namespace {
// Bytes malloc has handed out and not taken back (glibc), or 0 where that is not known (under
// AddressSanitizer, whose allocator glibc's statistics do not see).
std::size_t bytes_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
#else
  return 0;
#endif
}
}  // namespace

TEST_CASE("the streaming heads keep no (T, S) matrix for the backward: what a forward holds is linear in T") {
  // 1 sequence, 2 heads of 8, T = S = 2048, causal: P would be 2·2048² floats = 32 MiB; the
  // streaming kernel keeps the output (2048·16 floats) and one log-sum-exp per row and head.
  const std::size_t T = 2048;
  Tensor qkv = random_input({1, T, 48});
  fused::HeadsMask mask;
  mask.causal_shift = 0;
  const fused::HeadsOptions options{.num_heads = 2, .need_weights = false};
  const std::size_t before = bytes_in_use();
  Tensor out = fused::attention_heads_packed(qkv, mask, options).output;
  const std::size_t held = bytes_in_use() - before;
  if (before == 0) {
    WARN("malloc statistics unavailable here (sanitizer allocator?): the memory is not checked");
  } else {
    INFO("bytes held by the forward: " << held);
    CHECK(held < 4 * T * 16 * 4);  // a few times the output, nothing like 32 MiB
  }
  CHECK(out.shape() == Shape{1, T, 16});
  sum(out).backward();
  CHECK(qkv.grad().shape() == Shape{1, T, 48});
  // The path that keeps P, with the mask spelled out, gives the same output.
  Tensor qkv2(qkv.value(), true);
  fused::HeadsMask full;
  full.blocked = nn::AttentionMask::causal(T, T, nn::CausalAlignment::TopLeft).blocked_positions({1, 2, T, T}, "test");
  const Tensor stored = fused::attention_heads_packed(qkv2, full, options).output;
  CHECK(allclose(out.value(), stored.value(), 1e-5f, 1e-6f));
}

TEST_CASE("MultiheadAttention's fused heads handle empty batches, queries and keys like its composite path") {
  const auto mha = identity_heads(4, 2);
  for (const auto& [B, T, S] : std::vector<std::array<std::size_t, 3>>{{2, 3, 0}, {2, 0, 3}, {0, 3, 3}}) {
    INFO("B = " << B << ", T = " << T << ", S = " << S);
    const auto op = [&](const Ts& in) { return heads_and_weights(*mha, in[0], in[1], in[2], {}, true); };
    check_same_as_composite(op, [&](const Ts& in) { return composite_path([&] { return op(in); }); },
                            {{B, T, 4}, {B, S, 4}, {B, S, 4}});
  }
}

TEST_CASE("gradcheck: fused::attention_heads, through the output and through the weights") {
  fused::HeadsMask mask;
  mask.blocked =
      nn::AttentionMask::causal(3, 4, nn::CausalAlignment::BottomRight).blocked_positions({2, 2, 3, 4}, "test");
  for (const bool average : {true, false}) {
    INFO((average ? "averaged" : "per head"));
    const fused::HeadsOptions options{.num_heads = 2, .average_weights = average};
    CHECK(
        check_gradients([&](const Ts& in) { return fused::attention_heads(in[0], in[1], in[2], mask, options).output; },
                        {random_input({2, 3, 4}), random_input({2, 4, 4}), random_input({2, 4, 4})}));
    CHECK(check_gradients(
        [&](const Ts& in) { return fused::attention_heads(in[0], in[1], in[2], mask, options).weights; },
        {random_input({2, 3, 4}), random_input({2, 4, 4}), random_input({2, 4, 4})}));
  }
}

TEST_CASE("fused::attention_heads: a fully blocked row gives zeros and finite zero gradients") {
  Index lengths = Index::from_shape({2});
  lengths(0) = 0;
  lengths(1) = 2;
  Tensor q = random_input({2, 3, 4}), k = random_input({2, 2, 4}), v = random_input({2, 2, 4});
  fused::HeadsMask mask;
  mask.blocked = nn::AttentionMask::key_padding(lengths, 2).blocked_positions({2, 2, 3, 2}, "test");
  AnomalyModeGuard anomaly;
  const auto r = fused::attention_heads(q, k, v, mask, {.num_heads = 2});
  (sum(r.output) + sum(r.weights)).backward();
  for (std::size_t i = 0; i < 3 * 4; ++i) CHECK(r.output.value().data()[i] == 0.0f);  // sequence 0
  for (const Tensor& t : {q, k, v})
    for (const float g : t.grad()) CHECK(std::isfinite(g));
  for (std::size_t i = 0; i < 3 * 4; ++i) CHECK(q.grad().data()[i] == 0.0f);
}

TEST_CASE("MultiheadAttention hands a learned additive mask to the composite path, which differentiates it") {
  Tensor bias = random_input({3, 4});  // (T, S), requires grad
  const Tensor q = random_input({1, 3, 4}), k = random_input({1, 4, 4}), v = random_input({1, 4, 4});
  const auto r = identity_heads(4, 2)->forward(q, k, v, nn::AttentionMask::additive(bias));
  sum(r.output * r.output).backward();
  REQUIRE(bias.has_grad());
  double total = 0.0;
  for (const float g : bias.grad()) total += std::fabs(g);
  CHECK(total > 0.0);
}

TEST_CASE("fused::attention_heads names the shapes it cannot use") {
  using fused::attention_heads;
  const fused::HeadsOptions two{.num_heads = 2, .who = "MyLayer"};
  CHECK_THROWS_WITH(attention_heads(random_input({2, 3, 4}), random_input({2, 5, 4}), random_input({2, 6, 4}), {}, two),
                    Contains("MyLayer: query, key and value must share B and E, and key and value S, got query (2, 3, "
                             "4), key (2, 5, 4), value (2, 6, 4)"));
  CHECK_THROWS_WITH(attention_heads(random_input({2, 3, 4}), random_input({2, 5, 4}), random_input({2, 5}), {}, two),
                    Contains("MyLayer: expected query (B, T, E), key (B, S, E) and value (B, S, E), got"));
  CHECK_THROWS_WITH(attention_heads(random_input({2, 3, 5}), random_input({2, 5, 5}), random_input({2, 5, 5}), {}, two),
                    Contains("MyLayer: E = 5 does not split into num_heads = 2 heads"));
  fused::HeadsMask padded;
  padded.padded_keys = Mask(xt::zeros<bool>(Shape{2, 4}));
  CHECK_THROWS_WITH(
      attention_heads(random_input({2, 3, 4}), random_input({2, 5, 4}), random_input({2, 5, 4}), padded, two),
      Contains("MyLayer: the padded keys must be (B, S) = (2, 5), got (2, 4)"));
}
