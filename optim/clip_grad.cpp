// Gradient clipping by global norm and by value.
#include <attograd/optim/clip_grad.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace attograd::optim {

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  if (!(max_norm >= 0))
    throw std::invalid_argument(fmt::format("clip_grad_norm_: max_norm must be >= 0, got {}", max_norm));
  if (!(norm_type > 0))
    throw std::invalid_argument(fmt::format("clip_grad_norm_: norm_type must be > 0 or infinity, got {}", norm_type));

  std::vector<Tensor> with_grad;
  for (const Tensor& p : params)
    if (p.defined() && p.has_grad()) with_grad.push_back(p);
  if (with_grad.empty()) return 0.0;

  // inf:  total = max |g|       p: total = (Σ |g|^p)^(1/p), over every element of every grad
  const bool inf_norm = std::isinf(norm_type);
  double total = 0.0;
  for (const Tensor& p : with_grad) {
    const Array& grad = p.grad();
    const float* g = grad.data();
    for (std::size_t i = 0; i < grad.size(); ++i) {
      const double a = std::fabs(static_cast<double>(g[i]));
      if (inf_norm)
        total = (std::isnan(a) || std::isnan(total)) ? std::numeric_limits<double>::quiet_NaN() : std::max(total, a);
      else
        total += norm_type == 2.0 ? a * a : std::pow(a, norm_type);
    }
  }
  if (!inf_norm) total = norm_type == 2.0 ? std::sqrt(total) : std::pow(total, 1.0 / norm_type);

  if (!std::isfinite(total) && error_if_nonfinite)
    throw std::runtime_error(
        fmt::format("clip_grad_norm_: the total norm of order {} of the gradients is {}, so they cannot be clipped; "
                    "pass error_if_nonfinite=false to clip anyway (as PyTorch does)",
                    norm_type, total));

  // Scale only when the norm is too large: min(1, max_norm / (total + 1e-6)); NaN stays NaN.
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1.0 || std::isnan(coef)) {
    const auto c = static_cast<float>(coef);
    for (Tensor& p : with_grad) {
      Array& grad = p.mutable_grad();
      float* g = grad.data();
      for (std::size_t i = 0; i < grad.size(); ++i) g[i] *= c;
    }
  }
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  if (!(clip_value >= 0))
    throw std::invalid_argument(fmt::format("clip_grad_value_: clip_value must be >= 0, got {}", clip_value));
  const auto hi = static_cast<float>(clip_value);
  for (Tensor p : params) {
    if (!p.defined() || !p.has_grad()) continue;
    Array& grad = p.mutable_grad();
    float* g = grad.data();
    // clamp(g, −c, c); std::clamp would turn NaN into −c.
    for (std::size_t i = 0; i < grad.size(); ++i) g[i] = g[i] < -hi ? -hi : (g[i] > hi ? hi : g[i]);
  }
}

}  // namespace attograd::optim
