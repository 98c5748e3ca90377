// The fused nn ops against their composite forms: same values, same gradients, a gradient
// check of their own, and their shape errors. (The layers built on them are also checked
// against PyTorch in test_nn_golden.cpp and test_attention_families.cpp.)
#include <functional>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>
#include <attograd/nn/additive_attention.hpp>
#include <attograd/nn/gru.hpp>

#include "../support/gradcheck.hpp"

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
