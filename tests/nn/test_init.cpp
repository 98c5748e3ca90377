// nn::init: each initialiser's distribution, its bounds, the gains and fans, and that one seed
// gives the same weights.
#include <catch2/catch.hpp>

#include <cmath>

#include <attograd/core/core.hpp>
#include <attograd/nn/init.hpp>
#include <attograd/nn/linear.hpp>

using namespace attograd;
using Catch::Contains;
namespace init = attograd::nn::init;

namespace {
struct Stats {
  double mean = 0, stddev = 0, min = INFINITY, max = -INFINITY;
};
Stats stats_of(const Tensor& t) {
  Stats s;
  for (float v : t.value()) {
    s.mean += v;
    s.min = std::min<double>(s.min, v);
    s.max = std::max<double>(s.max, v);
  }
  s.mean /= static_cast<double>(t.numel());
  for (float v : t.value()) s.stddev += (v - s.mean) * (v - s.mean);
  s.stddev = std::sqrt(s.stddev / static_cast<double>(t.numel()));
  return s;
}
}  // namespace

TEST_CASE("init: calculate_gain and fans as PyTorch") {
  CHECK(init::calculate_gain(init::Nonlinearity::Linear) == 1.0);
  CHECK(init::calculate_gain(init::Nonlinearity::Sigmoid) == 1.0);
  CHECK(init::calculate_gain(init::Nonlinearity::Tanh) == Approx(5.0 / 3.0));
  CHECK(init::calculate_gain(init::Nonlinearity::ReLU) == Approx(std::sqrt(2.0)));
  CHECK(init::calculate_gain(init::Nonlinearity::LeakyReLU) == Approx(std::sqrt(2.0 / (1.0 + 0.0001))));
  CHECK(init::calculate_gain(init::Nonlinearity::LeakyReLU, std::sqrt(5.0)) == Approx(std::sqrt(1.0 / 3.0)));
  CHECK(init::calculate_gain(init::Nonlinearity::SELU) == 0.75);
  const auto [fan_in, fan_out] = init::calculate_fan_in_and_fan_out(zeros({6, 4, 3, 2}));  // like a conv weight
  CHECK(fan_in == 4 * 6);
  CHECK(fan_out == 6 * 6);
  REQUIRE_THROWS_WITH(init::calculate_fan_in_and_fan_out(zeros({5})),
                      Contains("calculate_fan_in_and_fan_out: needs a tensor with 2+ dims, got shape (5,)"));
  REQUIRE_THROWS_WITH(init::xavier_uniform_(zeros({5})), Contains("got shape (5,)"));
}

TEST_CASE("init: uniform_, normal_ and constants fill in place") {
  manual_seed(1);
  Tensor t = zeros({200, 100});
  const Tensor same = init::uniform_(t, -2.0, 3.0);
  CHECK(same.is_same(t));
  Stats s = stats_of(t);
  CHECK(s.min >= -2.0);
  CHECK(s.max < 3.0);
  CHECK(s.mean == Approx(0.5).margin(0.05));
  CHECK(s.stddev == Approx(5.0 / std::sqrt(12.0)).epsilon(0.02));

  init::normal_(t, 1.5, 0.25);
  s = stats_of(t);
  CHECK(s.mean == Approx(1.5).margin(0.01));
  CHECK(s.stddev == Approx(0.25).epsilon(0.02));

  init::constant_(t, 0.75);
  CHECK((s = stats_of(t)).min == 0.75);
  CHECK(s.max == 0.75);
  init::zeros_(t);
  CHECK(stats_of(t).max == 0.0);
  init::ones_(t);
  CHECK(stats_of(t).min == 1.0);
  REQUIRE_THROWS_WITH(init::uniform_(t, 1.0, 0.0), Contains("uniform_: low 1 must not exceed high 0"));
  REQUIRE_THROWS_WITH(init::normal_(t, 0.0, -1.0), Contains("normal_: std must be non-negative, got -1"));
  REQUIRE_THROWS_WITH(init::zeros_(Tensor()), Contains("constant_: the tensor is undefined"));
}

TEST_CASE("init: xavier and kaiming scale with the fans") {
  manual_seed(2);
  Tensor w = zeros({300, 200});  // fan_in 200, fan_out 300
  init::xavier_uniform_(w, 2.0);
  const double xavier_bound = 2.0 * std::sqrt(6.0 / 500.0);
  Stats s = stats_of(w);
  CHECK(s.max <= xavier_bound);
  CHECK(s.min >= -xavier_bound);
  CHECK(s.max > 0.99 * xavier_bound);
  CHECK(s.stddev == Approx(2.0 * std::sqrt(2.0 / 500.0)).epsilon(0.02));

  init::xavier_normal_(w);
  CHECK(stats_of(w).stddev == Approx(std::sqrt(2.0 / 500.0)).epsilon(0.02));

  init::kaiming_uniform_(w, 0.0, init::FanMode::FanIn, init::Nonlinearity::ReLU);
  s = stats_of(w);
  CHECK(s.max <= std::sqrt(6.0 / 200.0));
  CHECK(s.stddev == Approx(std::sqrt(2.0 / 200.0)).epsilon(0.02));

  init::kaiming_normal_(w, 0.0, init::FanMode::FanOut, init::Nonlinearity::ReLU);
  CHECK(stats_of(w).stddev == Approx(std::sqrt(2.0 / 300.0)).epsilon(0.02));

  // a = √5 (Linear's choice): bound 1/√fan_in.
  init::kaiming_uniform_(w, std::sqrt(5.0));
  s = stats_of(w);
  CHECK(s.max <= 1.0 / std::sqrt(200.0));
  CHECK(s.max > 0.99 / std::sqrt(200.0));

  Tensor empty = zeros({0, 3});
  CHECK_NOTHROW(init::kaiming_uniform_(empty));  // nothing to fill, as PyTorch
  CHECK_NOTHROW(init::xavier_normal_(empty));
}

TEST_CASE("init: the same seed gives the same weights") {
  manual_seed(42);
  nn::Linear a(5, 3);
  manual_seed(42);
  nn::Linear b(5, 3);
  nn::Linear c(5, 3);  // the generator moved on
  CHECK((a.weight.value() == b.weight.value()));
  CHECK((a.bias.value() == b.bias.value()));
  CHECK_FALSE((a.weight.value() == c.weight.value()));
}
