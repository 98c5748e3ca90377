// Gradient clipping by global norm and by value, against hand computations.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include <attograd/core/core.hpp>
#include <attograd/optim/clip_grad.hpp>

#include "../support/gradcheck.hpp"

using namespace attograd;
using namespace attograd::optim;
using Catch::Contains;

namespace {
const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// A parameter whose gradient is `grad`: the gradient of sum(p ⊙ grad).
Tensor with_grad(const std::vector<float>& grad, const Shape& shape) {
  Tensor p = zeros(shape, true);
  sum(p * from_vector(grad, shape)).backward();
  return p;
}

std::vector<float> grad_of(const Tensor& p) { return std::vector<float>(p.grad().begin(), p.grad().end()); }
}  // namespace

TEST_CASE("clip_grad_norm_ scales all gradients together by max_norm / (total + 1e-6)") {
  // total = √(3² + 4² + 12²) = 13
  Tensor a = with_grad({3, 4}, {2});
  Tensor b = with_grad({12}, {1, 1});
  Tensor no_grad = zeros({5}, true);  // skipped
  const double total = clip_grad_norm_({a, no_grad, b}, 6.5);
  CHECK(total == Approx(13.0).epsilon(1e-12));
  const float c = static_cast<float>(6.5 / (13.0 + 1e-6));
  CHECK(grad_of(a) == std::vector<float>{3 * c, 4 * c});
  CHECK(grad_of(b) == std::vector<float>{12 * c});
  CHECK_FALSE(no_grad.has_grad());

  // Below max_norm: untouched.
  Tensor d = with_grad({0.3f, -0.4f}, {2});
  CHECK(clip_grad_norm_({d}, 1.0) == Approx(0.5).epsilon(1e-7));
  CHECK(grad_of(d) == std::vector<float>{0.3f, -0.4f});

  // No gradients at all: total 0.
  CHECK(clip_grad_norm_({zeros({3}, true)}, 1.0) == 0.0);
}

TEST_CASE("clip_grad_norm_ with other norms: 1, 3 and infinity") {
  Tensor a = with_grad({1, -2, 2}, {3});
  Tensor b = with_grad({-4}, {1});
  CHECK(clip_grad_norm_({a, b}, 100.0, 1.0) == Approx(9.0).epsilon(1e-12));
  CHECK(clip_grad_norm_({a, b}, 100.0, 3.0) == Approx(std::cbrt(1.0 + 8 + 8 + 64)).epsilon(1e-12));
  const double total = clip_grad_norm_({a, b}, 2.0, std::numeric_limits<double>::infinity());
  CHECK(total == 4.0);
  const float c = static_cast<float>(2.0 / (4.0 + 1e-6));
  CHECK(grad_of(a) == std::vector<float>{1 * c, -2 * c, 2 * c});
  CHECK(grad_of(b) == std::vector<float>{-4 * c});
}

TEST_CASE("clip_grad_norm_ over long gradients: every element counts, in the lanes and in the tail") {
  // 1 003 elements (not a multiple of the reductions' 8 lanes), against a plain loop in double.
  std::vector<float> g(1003);
  for (std::size_t i = 0; i < g.size(); ++i) g[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  g[1001] = -3.5f;  // the largest |g|, in the tail
  auto norm = [&](double p) {
    double s = 0.0;
    for (float v : g) s += std::pow(std::fabs(static_cast<double>(v)), p);
    return std::pow(s, 1.0 / p);
  };
  for (double p : {2.0, 1.0, 3.0}) {
    Tensor a = with_grad(g, {17, 59});
    CHECK(clip_grad_norm_({a}, 1e9, p) == Approx(norm(p)).epsilon(1e-12));
  }
  Tensor a = with_grad(g, {1003});
  CHECK(clip_grad_norm_({a}, 1e9, std::numeric_limits<double>::infinity()) == 3.5);
  g[1001] = 0.0f, g[13] = 2.75f;  // now in a lane
  Tensor b = with_grad(g, {1003});
  CHECK(clip_grad_norm_({b}, 1e9, std::numeric_limits<double>::infinity()) == 2.75);
  for (std::size_t at : {std::size_t{5}, std::size_t{1002}}) {  // a NaN in a lane, then in the tail
    std::vector<float> h = g;
    h[at] = kNaN;
    Tensor c = with_grad(h, {1003});
    CHECK(std::isnan(clip_grad_norm_({c}, 1e9, std::numeric_limits<double>::infinity())));
    CHECK(std::isnan(clip_grad_norm_({c}, 1e9, 2.0)));
  }
}

TEST_CASE("clip_grad_norm_ with a non-finite total norm") {
  SECTION("error_if_nonfinite throws and leaves the gradients alone") {
    Tensor a = with_grad({1, kInf}, {2});
    REQUIRE_THROWS_AS(clip_grad_norm_({a}, 1.0, 2.0, true), std::runtime_error);
    REQUIRE_THROWS_WITH(clip_grad_norm_({a}, 1.0, 2.0, true),
                        Contains("clip_grad_norm_: the total norm of order 2 of the gradients is inf"));
    CHECK(grad_of(a)[0] == 1.0f);
    Tensor n = with_grad({kNaN, 1}, {2});
    REQUIRE_THROWS_WITH(clip_grad_norm_({n}, 1.0, std::numeric_limits<double>::infinity(), true),
                        Contains("the total norm of order inf of the gradients is nan"));
  }
  SECTION("otherwise as PyTorch: an infinite norm zeroes finite entries, infinite ones become NaN") {
    Tensor a = with_grad({1, kInf}, {2});
    Tensor b = with_grad({-3}, {1});
    CHECK(std::isinf(clip_grad_norm_({a, b}, 1.0)));
    CHECK(grad_of(a)[0] == 0.0f);
    CHECK(std::isnan(grad_of(a)[1]));
    CHECK(grad_of(b)[0] == 0.0f);
  }
  SECTION("otherwise as PyTorch: a NaN norm makes every entry NaN") {
    Tensor a = with_grad({1, kNaN}, {2});
    Tensor b = with_grad({-3}, {1});
    CHECK(std::isnan(clip_grad_norm_({a, b}, 1.0)));
    CHECK(std::isnan(grad_of(a)[0]));
    CHECK(std::isnan(grad_of(b)[0]));
  }
}

TEST_CASE("clip_grad_norm_ rejects a bad max_norm or norm_type") {
  Tensor a = with_grad({1}, {1});
  CHECK_THROWS_WITH(clip_grad_norm_({a}, -1.0), "clip_grad_norm_: max_norm must be >= 0, got -1");
  CHECK_THROWS_WITH(clip_grad_norm_({a}, 1.0, 0.0), "clip_grad_norm_: norm_type must be > 0 or infinity, got 0");
  CHECK_THROWS_WITH(clip_grad_norm_({a}, 1.0, std::nan("")),
                    "clip_grad_norm_: norm_type must be > 0 or infinity, got nan");
}

TEST_CASE("clip_grad_value_ clamps every element and keeps NaN") {
  Tensor a = with_grad({-5, -0.5f, 0.25f, 3, kNaN}, {5});
  Tensor untouched = zeros({2}, true);
  clip_grad_value_({a, untouched}, 1.0);
  const std::vector<float> g = grad_of(a);
  CHECK(std::vector<float>(g.begin(), g.end() - 1) == std::vector<float>{-1, -0.5f, 0.25f, 1});
  CHECK(std::isnan(g[4]));
  CHECK_FALSE(untouched.has_grad());
  CHECK_THROWS_WITH(clip_grad_value_({a}, -0.1), "clip_grad_value_: clip_value must be >= 0, got -0.1");
}
