// Implementation of the central-difference gradient check (see gradcheck.hpp).
#include "gradcheck.hpp"

#include <cmath>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <attograd/core/autograd.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/reduction.hpp>
#include <attograd/core/random.hpp>

namespace attograd::testing {

namespace {
Generator& check_generator() {
  static Generator g(12345);
  return g;
}

double weighted_sum(const Array& out, const Array& weights) {
  double total = 0.0;
  for (std::size_t i = 0; i < out.size(); ++i) total += static_cast<double>(out.data()[i]) * weights.data()[i];
  return total;
}
}  // namespace

Tensor random_input(const Shape& shape, float lo, float hi) {
  Array a = Array::from_shape(shape);
  for (float& v : a) v = check_generator().uniform(lo, hi);
  return Tensor(std::move(a), true);
}

bool check_gradients(const TensorFn& f, std::vector<Tensor> inputs, const GradcheckTolerance& tol) {
  for (Tensor& t : inputs) t.zero_grad();
  const Tensor out = f(inputs);
  Array weights = Array::from_shape(out.shape());
  for (float& w : weights) w = check_generator().uniform(-1.0f, 1.0f);
  sum(out * Tensor(weights)).backward();

  bool ok = true;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = inputs[k];
    if (!x.requires_grad()) continue;
    const Array analytic = x.has_grad() ? x.grad() : Array(xt::zeros<float>(x.shape()));
    for (std::size_t i = 0; i < x.numel(); ++i) {
      float& v = x.mutable_value().data()[i];
      const float saved = v;
      double plus = 0.0, minus = 0.0;
      {
        NoGradGuard no_grad;
        v = saved + tol.step;
        plus = weighted_sum(f(inputs).value(), weights);
        v = saved - tol.step;
        minus = weighted_sum(f(inputs).value(), weights);
      }
      v = saved;
      const double numeric = (plus - minus) / (2.0 * tol.step);
      const double got = analytic.data()[i];
      if (std::abs(got - numeric) > tol.atol + tol.rtol * std::abs(numeric)) {
        ok = false;
        FAIL_CHECK(
            fmt::format("input {} element {}: backward gives {:.6f}, central difference {:.6f}", k, i, got, numeric));
      }
    }
  }
  return ok;
}

bool allclose(const Array& a, const Array& b, float rtol, float atol) {
  if (a.shape() != b.shape()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const float x = a.data()[i], y = b.data()[i];
    if (std::isnan(x) || std::isnan(y)) {
      if (std::isnan(x) != std::isnan(y)) return false;
      continue;
    }
    if (std::abs(x - y) > atol + rtol * std::abs(y)) return false;
  }
  return true;
}

}  // namespace attograd::testing
