// gradcheck and allclose (see the header).
#include <attograd/core/gradcheck.hpp>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/reduction.hpp>
#include <attograd/core/random.hpp>

namespace attograd {

namespace {
double weighted_sum(const Array& out, const Array& weights) {
  double total = 0.0;
  for (std::size_t i = 0; i < out.size(); ++i) total += static_cast<double>(out.data()[i]) * weights.data()[i];
  return total;
}
}  // namespace

std::string GradcheckReport::summary() const {
  std::string s = fmt::format("gradcheck {}: {} elements, largest |analytic - numeric| {:.3g}, {} mismatches",
                              ok ? "passed" : "FAILED", elements_checked, max_abs_error, mismatches.size());
  for (std::size_t i = 0; i < std::min<std::size_t>(mismatches.size(), 10); ++i) {
    const GradcheckMismatch& m = mismatches[i];
    s += fmt::format("\n  input {} element {}: backward gives {:.6f}, central difference {:.6f}", m.input, m.element,
                     m.analytic, m.numeric);
  }
  return s;
}

GradcheckReport gradcheck(const TensorFn& f, std::vector<Tensor> inputs, const GradcheckOptions& options) {
  for (Tensor& t : inputs) t.zero_grad();
  const Tensor out = f(inputs);
  Generator generator(options.seed);
  Array weights = Array::from_shape(out.shape());  // W
  for (float& w : weights) w = generator.uniform(-1.0f, 1.0f);
  sum(out * Tensor(weights)).backward();

  GradcheckReport report;
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
        v = saved + options.step;
        plus = weighted_sum(f(inputs).value(), weights);
        v = saved - options.step;
        minus = weighted_sum(f(inputs).value(), weights);
      }
      v = saved;
      const double numeric = (plus - minus) / (2.0 * options.step);
      const double got = analytic.data()[i];
      const double error = std::abs(got - numeric);
      ++report.elements_checked;
      report.max_abs_error = std::max(report.max_abs_error, error);
      if (!(error <= options.atol + options.rtol * std::abs(numeric))) {
        report.ok = false;
        report.mismatches.push_back({k, i, got, numeric});
      }
    }
  }
  return report;
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

}  // namespace attograd
