// adam_update: the loop Adam and AdamW share (see the header for the equations).
#include <attograd/optim/adam_update.hpp>

#include <algorithm>
#include <cmath>

#include <attograd/core/kernels/fast_math.hpp>

namespace attograd::optim {

AdamUpdate AdamUpdate::at_step(double lr, double beta1, double beta2, double eps, std::int64_t t, float l2,
                               float decay) {
  const auto step = static_cast<double>(t);
  return {.beta1 = static_cast<float>(beta1),
          .beta2 = static_cast<float>(beta2),
          .eps = static_cast<float>(eps),
          .one_minus_beta1 = static_cast<float>(1.0 - beta1),
          .one_minus_beta2 = static_cast<float>(1.0 - beta2),
          .l2 = l2,
          .decay = decay,
          .neg_step_size = static_cast<float>(-lr / (1.0 - std::pow(beta1, step))),
          .bias_correction2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(beta2, step)))};
}

ATTOGRAD_VECTOR_CLONES void adam_update(const AdamUpdate& u, std::size_t n, const float* __restrict__ grad,
                                        float* __restrict__ p, float* __restrict__ m, float* __restrict__ v,
                                        float* __restrict__ v_max) {
  auto moments = [&](std::size_t i) {  // updates m and v, returns g
    const float g = grad[i] + u.l2 * p[i];
    p[i] *= u.decay;
    m[i] = m[i] * u.beta1 + u.one_minus_beta1 * g;
    v[i] = v[i] * u.beta2 + u.one_minus_beta2 * g * g;
  };
  if (v_max == nullptr) {
    for (std::size_t i = 0; i < n; ++i) {
      moments(i);
      p[i] += u.neg_step_size * m[i] / (std::sqrt(v[i]) / u.bias_correction2_sqrt + u.eps);
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      moments(i);
      v_max[i] = std::max(v_max[i], v[i]);
      p[i] += u.neg_step_size * m[i] / (std::sqrt(v_max[i]) / u.bias_correction2_sqrt + u.eps);
    }
  }
}

}  // namespace attograd::optim
