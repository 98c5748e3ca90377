// The mask vocabulary: polarity, causal alignment, key padding, additive biases, combining,
// and the shape errors.
#include <catch2/catch.hpp>
#include <xtensor/xbuilder.hpp>

#include <limits>

#include <attograd/core/core.hpp>
#include <attograd/nn/attention/mask.hpp>

using namespace attograd;
using nn::AttentionMask;
using nn::CausalAlignment;

namespace {
Mask mask_of(std::vector<int> values, const Shape& shape) {
  Mask m = Mask::from_shape(shape);
  for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = values[i] != 0;
  return m;
}

bool same(const Mask& a, const Mask& b) { return a.shape() == b.shape() && a == b; }
}  // namespace

TEST_CASE("AttentionMask: allowed and blocked say opposite things about true") {
  const Mask m = mask_of({1, 0, 1, 1}, {2, 2});
  CHECK(same(AttentionMask::allowed(m).blocked_positions({2, 2}, "test"), mask_of({0, 1, 0, 0}, {2, 2})));
  CHECK(same(AttentionMask::blocked(m).blocked_positions({2, 2}, "test"), m));
  CHECK(same(AttentionMask().blocked_positions({2, 2}, "test"), mask_of({0, 0, 0, 0}, {2, 2})));
  CHECK(AttentionMask::none().empty());
}

TEST_CASE("AttentionMask: causal alignment with T != S") {
  // T = 2 queries, S = 4 keys.
  const Mask top_left = AttentionMask::causal(2, 4, CausalAlignment::TopLeft).blocked_positions({2, 4}, "test");
  CHECK(same(top_left, mask_of({0, 1, 1, 1,  //
                                0, 0, 1, 1},
                               {2, 4})));
  const Mask bottom_right = AttentionMask::causal(2, 4, CausalAlignment::BottomRight).blocked_positions({2, 4}, "test");
  CHECK(same(bottom_right, mask_of({0, 0, 0, 1,  //
                                    0, 0, 0, 0},
                                   {2, 4})));
  // T > S bottom-right: the first query sees no key at all (a fully masked row).
  const Mask tall = AttentionMask::causal(3, 2, CausalAlignment::BottomRight).blocked_positions({3, 2}, "test");
  CHECK(same(tall, mask_of({1, 1, 0, 1, 0, 0}, {3, 2})));
  // Equal lengths: both alignments are torch.tril.
  const Mask square = AttentionMask::causal(3, 3, CausalAlignment::TopLeft).blocked_positions({3, 3}, "test");
  CHECK(same(square, AttentionMask::causal(3, 3, CausalAlignment::BottomRight).blocked_positions({3, 3}, "test")));
  CHECK(same(square, mask_of({0, 1, 1, 0, 0, 1, 0, 0, 0}, {3, 3})));
}

TEST_CASE("AttentionMask: key padding from lengths lines up B and S with the scores") {
  Index lengths = {3, 1};
  const AttentionMask pad = AttentionMask::key_padding(lengths, 4);
  const Mask four_d = pad.blocked_positions({2, 2, 1, 4}, "test");  // (B, H, T, S)
  CHECK(same(four_d, mask_of({0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1}, {2, 2, 1, 4})));
  const Mask one_step = pad.blocked_positions({2, 4}, "test");  // (B, S)
  CHECK(same(one_step, mask_of({0, 0, 0, 1, 0, 1, 1, 1}, {2, 4})));
  CHECK(same(AttentionMask::padded_keys(mask_of({0, 0, 0, 1, 0, 1, 1, 1}, {2, 4})).blocked_positions({2, 4}, "test"),
             one_step));
  REQUIRE_THROWS_WITH(AttentionMask::key_padding(Index{5}, 4),
                      Catch::Contains("length 5 of sequence 0 is outside [0, S = 4]"));
  REQUIRE_THROWS_WITH(pad.blocked_positions({3, 2, 1, 4}, "MultiheadAttention"),
                      Catch::Contains("MultiheadAttention: key_padding(B=2, S=4) mask (B = 2, S = 4) does not match "
                                      "the attention scores (B, H, T, S) = (3, 2, 1, 4)"));
  REQUIRE_THROWS_WITH(pad.blocked_positions({2, 3, 5}, "SelfAttention"), Catch::Contains("(B, T, S) = (2, 3, 5)"));
  REQUIRE_THROWS_WITH(AttentionMask::padded_keys(Mask(xt::zeros<bool>({2, 1, 4}))),
                      Catch::Contains("must be (B, S), got shape (2, 1, 4)"));
}

TEST_CASE("AttentionMask: additive biases, -inf blocks") {
  const float inf = std::numeric_limits<float>::infinity();
  const AttentionMask add = AttentionMask::additive(from_vector({0.5f, -inf, 0.0f, 1.0f}, {2, 2}));
  CHECK(same(add.blocked_positions({1, 2, 2}, "test"), mask_of({0, 1, 0, 0}, {1, 2, 2})));
  REQUIRE(add.additive_biases({1, 2, 2}, "test").size() == 1);
  REQUIRE_THROWS_WITH(
      add.additive_biases({2, 3}, "AdditiveAttention"),
      Catch::Contains("AdditiveAttention: additive mask of shape (2, 2) does not broadcast to the attention scores"));
  REQUIRE_THROWS_WITH(AttentionMask::additive(Tensor()), Catch::Contains("undefined"));
}

TEST_CASE("AttentionMask: combine blocks where either blocks") {
  const AttentionMask both =
      AttentionMask::causal(2, 2, CausalAlignment::TopLeft) & AttentionMask::key_padding(Index{1, 2}, 2);
  CHECK(same(both.blocked_positions({2, 2, 2}, "test"), mask_of({0, 1, 0, 1, 0, 1, 0, 0}, {2, 2, 2})));
  CHECK(both.describe() == "causal(T=2, S=2, TopLeft) & key_padding(B=2, S=2)");
  CHECK(same(combine(AttentionMask(), AttentionMask::blocked(mask_of({1, 0}, {1, 2}))).blocked_positions({2, 2}, "t"),
             mask_of({1, 0, 1, 0}, {2, 2})));
}

TEST_CASE("AttentionMask: shape errors name the layer, the mask and the scores") {
  REQUIRE_THROWS_WITH(
      AttentionMask::allowed(Mask(xt::zeros<bool>({3, 4}))).blocked_positions({2, 4, 3, 5}, "MultiheadAttention"),
      Catch::Contains("MultiheadAttention: allowed(3, 4) mask of shape (3, 4) does not broadcast to the "
                      "attention scores (B, H, T, S) = (2, 4, 3, 5)"));
  // A (B, T, S) mask does not silently broadcast against (B, H, T, S) scores: it must be (B, 1, T, S).
  // Even when B happens to equal H, where NumPy broadcasting would quietly line B up with H.
  for (const Shape& scores : {Shape{2, 4, 3, 5}, Shape{2, 2, 3, 5}})
    REQUIRE_THROWS_WITH(
        AttentionMask::blocked(Mask(xt::zeros<bool>({2, 3, 5}))).blocked_positions(scores, "MultiheadAttention"),
        Catch::Contains("MultiheadAttention: blocked(2, 3, 5) mask of shape (2, 3, 5) is ambiguous against the "
                        "attention scores (B, H, T, S) = " +
                        shape_str(scores) +
                        ": give it all 4 dims of the scores (size 1 where it does not vary, e.g. (B, 1, T, S)) "
                        "or only the last two (T, S)"));
  REQUIRE_THROWS_WITH(AttentionMask::additive(zeros({2, 3, 5})).additive_biases({2, 2, 3, 5}, "MultiheadAttention"),
                      Catch::Contains("additive mask of shape (2, 3, 5) is ambiguous"));
  CHECK_NOTHROW(
      AttentionMask::blocked(Mask(xt::zeros<bool>({5}))).blocked_positions({2, 4, 3, 5}, "MultiheadAttention"));
  CHECK_NOTHROW(AttentionMask::blocked(Mask(xt::zeros<bool>({2, 1, 3, 5})))
                    .blocked_positions({2, 4, 3, 5}, "MultiheadAttention"));
  REQUIRE_THROWS_WITH(
      AttentionMask::causal(3, 3, CausalAlignment::TopLeft).blocked_positions({2, 3, 5}, "SelfAttention"),
      Catch::Contains("SelfAttention: causal(T=3, S=3, TopLeft) mask does not match the attention scores "
                      "(B, T, S) = (2, 3, 5): it was built for T = 3 queries and S = 3 keys"));
}
