// fast_math.hpp against double-precision libm: every regime of exp, tanh and sigmoid, the
// special values, and the vectorised array forms against the scalar ones bit for bit.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/core/kernels/fast_math.hpp>

using namespace attograd;

namespace {

constexpr float inf = std::numeric_limits<float>::infinity();
constexpr float quiet_nan = std::numeric_limits<float>::quiet_NaN();
constexpr double smallest_normal = std::numeric_limits<float>::min();

using ArrayFn = void (*)(const float*, float*, std::size_t);
using ScalarFn = float (*)(float);

// Distance from `got` to the exact `want` in units of the float spacing at `want`.
double ulp_error(float got, double want) {
  const auto rounded = static_cast<float>(want);
  const double spacing = std::nextafter(std::fabs(rounded), inf) - std::fabs(rounded);
  return std::fabs(static_cast<double>(got) - want) / spacing;
}

// Every input from lo to hi with a step that resolves the small-|x| region finely too.
std::vector<float> sweep(float lo, float hi) {
  std::vector<float> xs;
  for (float x = lo; x < hi; x += std::fabs(x) < 1e-3f ? 1e-7f : 1e-4f) xs.push_back(x);
  return xs;
}

// f over xs through the scalar form and through the vectorised array form (the one the ops
// use; it may contract to FMA, so the two can differ in the last bit).
std::vector<std::vector<float>> both_forms(ScalarFn scalar, ArrayFn array, const std::vector<float>& xs) {
  std::vector<float> by_scalar(xs.size()), by_array(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) by_scalar[i] = scalar(xs[i]);
  array(xs.data(), by_array.data(), xs.size());
  return {by_scalar, by_array};
}

// The worst ulp error of both forms against `exact`, over the inputs whose exact result is a
// normal float.
double worst_ulp(ScalarFn scalar, ArrayFn array, double (*exact)(double), float lo, float hi) {
  const std::vector<float> xs = sweep(lo, hi);
  double worst = 0.0;
  for (const auto& ys : both_forms(scalar, array, xs)) {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const double want = exact(xs[i]);
      if (std::fabs(want) >= smallest_normal) worst = std::max(worst, ulp_error(ys[i], want));
    }
  }
  return worst;
}

// f(x) through both forms; both must satisfy `check`.
template <class Check>
void special(ScalarFn scalar, ArrayFn array, float x, Check check) {
  for (const auto& ys : both_forms(scalar, array, {x})) {
    INFO("x = " << x << ", got " << ys[0]);
    CHECK(check(ys[0]));
  }
}

double exact_exp(double x) { return std::exp(x); }
double exact_tanh(double x) { return std::tanh(x); }
double exact_sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
const ScalarFn exp_scalar = fast::exp, tanh_scalar = fast::tanh, sigmoid_scalar = fast::sigmoid;
const ArrayFn exp_array = fast::exp, tanh_array = fast::tanh, sigmoid_array = fast::sigmoid;

}  // namespace

TEST_CASE("fast::exp is within 1.5 ulp of exp over the whole normal range") {
  CHECK(worst_ulp(exp_scalar, exp_array, exact_exp, -87.0f, 88.7f) <= 1.5);
}

TEST_CASE("fast::exp overflows to inf and underflows through the denormals to 0") {
  auto is = [](float want) { return [want](float got) { return got == want; }; };
  special(exp_scalar, exp_array, 88.72f, [](float y) { return y == Approx(std::exp(double{88.72f})).epsilon(1e-6); });
  special(exp_scalar, exp_array, 88.73f, is(inf));
  special(exp_scalar, exp_array, 1000.0f, is(inf));
  special(exp_scalar, exp_array, inf, is(inf));
  // Denormal results keep their absolute accuracy.
  for (float x : {-88.0f, -95.0f, -100.0f, -103.0f}) {
    special(exp_scalar, exp_array, x, [x](float y) {
      return std::fabs(double{y} - std::exp(double{x})) <= std::numeric_limits<float>::denorm_min();
    });
  }
  special(exp_scalar, exp_array, -110.0f, is(0.0f));
  special(exp_scalar, exp_array, -inf, is(0.0f));
  special(exp_scalar, exp_array, quiet_nan, [](float y) { return std::isnan(y); });
  special(exp_scalar, exp_array, 0.0f, is(1.0f));
}

TEST_CASE("fast::tanh is within 2 ulp of tanh on both sides of the polynomial's range") {
  CHECK(worst_ulp(tanh_scalar, tanh_array, exact_tanh, -12.0f, 12.0f) <= 2.0);
  auto is = [](float want) { return [want](float got) { return got == want; }; };
  special(tanh_scalar, tanh_array, 0.0f, is(0.0f));
  special(tanh_scalar, tanh_array, -0.0f, [](float y) { return y == 0.0f && std::signbit(y); });
  special(tanh_scalar, tanh_array, 1e-30f, is(1e-30f));
  special(tanh_scalar, tanh_array, 50.0f, is(1.0f));
  special(tanh_scalar, tanh_array, -inf, is(-1.0f));
  special(tanh_scalar, tanh_array, quiet_nan, [](float y) { return std::isnan(y); });
}

TEST_CASE("fast::sigmoid is within 3 ulp of 1 / (1 + e^-x) and saturates cleanly") {
  CHECK(worst_ulp(sigmoid_scalar, sigmoid_array, exact_sigmoid, -87.0f, 30.0f) <= 3.0);
  auto is = [](float want) { return [want](float got) { return got == want; }; };
  special(sigmoid_scalar, sigmoid_array, 0.0f, is(0.5f));
  special(sigmoid_scalar, sigmoid_array, 100.0f, is(1.0f));
  special(sigmoid_scalar, sigmoid_array, -200.0f, is(0.0f));
  special(sigmoid_scalar, sigmoid_array, inf, is(1.0f));
  special(sigmoid_scalar, sigmoid_array, -inf, is(0.0f));
  special(sigmoid_scalar, sigmoid_array, quiet_nan, [](float y) { return std::isnan(y); });
}

TEST_CASE("the array forms handle any length, a NaN among numbers, and working in place") {
  for (std::size_t n : {0u, 1u, 7u, 16u, 33u, 1000u}) {
    std::vector<float> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(i) * 0.37f - 20.0f;
    if (n > 3) x[3] = quiet_nan;
    std::vector<float> y = x;
    fast::tanh(y.data(), y.data(), n);  // in place
    for (std::size_t i = 0; i < n; ++i) {
      if (std::isnan(x[i])) {
        CHECK(std::isnan(y[i]));
      } else {
        CHECK(ulp_error(y[i], std::tanh(double{x[i]})) <= 2.0);
      }
    }
  }
}

TEST_CASE("fast::max_inline equals a std::max loop at every length, skipping NaNs as it does") {
  // std::max(m, x) keeps m when x is NaN; a row of NaNs (or an empty one) leaves -inf.
  for (std::size_t n = 0; n <= 40; ++n) {
    std::vector<float> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = std::sin(static_cast<float>(i) * 1.7f) * 10.0f;
    if (n > 3) x[n / 2] = quiet_nan;
    if (n > 5) x[1] = -inf;
    float want = -inf;
    for (const float v : x) want = std::max(want, v);
    INFO("n = " << n);
    CHECK(fast::max_inline(x.data(), n) == want);
  }
  const std::vector<float> nans(20, quiet_nan);
  CHECK(fast::max_inline(nans.data(), nans.size()) == -inf);
  const std::vector<float> with_inf{1.0f, inf, quiet_nan, 2.0f};
  CHECK(fast::max_inline(with_inf.data(), with_inf.size()) == inf);
}

TEST_CASE("fast::normal_tail: the exact GELU x Φ(x) and its slope Φ + x φ within 5e-7 of double precision") {
  // A&S 7.1.26's erfc: 4.2e-7 from exact at worst, as PyTorch's float gelu (3.7e-7 on this
  // sweep); the tail is a product, not 1 - erf, so far on the negative side the error stays
  // relative (0.4 % at x = -6, where PyTorch's float gelu is off by 100 %).
  double worst_abs = 0.0, worst_rel = 0.0, worst_slope = 0.0;
  std::vector<float> xs;
  for (float x = -12.0f; x < 12.0f; x += 1e-4f) xs.push_back(x);
  std::vector<float> ys(xs.size());
  fast::gelu(xs.data(), ys.data(), xs.size());  // the array form, as the op uses it
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double x = xs[i], phi = 0.5 * std::erfc(-x / std::sqrt(2.0));
    const double y = x * phi, slope = phi + x * std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
    worst_abs = std::max(worst_abs, std::fabs(ys[i] - y));
    if (x >= -6.0) worst_rel = std::max(worst_rel, std::fabs(ys[i] - y) / std::fabs(y));
    const fast::NormalTail n = fast::normal_tail(xs[i]);
    const double got_slope = (xs[i] >= 0.0f ? 1.0f - n.tail : n.tail) + xs[i] * n.density;
    worst_slope = std::max(worst_slope, std::fabs(got_slope - slope));
  }
  INFO("worst absolute " << worst_abs << ", relative (x >= -6) " << worst_rel << ", slope " << worst_slope);
  CHECK(worst_abs <= 5e-7);
  CHECK(worst_rel <= 4e-3);
  CHECK(worst_slope <= 5e-7);
  CHECK(fast::gelu(0.0f) == 0.0f);
  CHECK(fast::normal_cdf(0.0f) == 0.5f);
  CHECK(fast::normal_cdf(-40.0f) == 0.0f);
  CHECK(fast::normal_cdf(40.0f) == 1.0f);
}
