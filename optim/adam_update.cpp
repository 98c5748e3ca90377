// adam_update: the loop Adam and AdamW share (see the header for the equations).
#include <attograd/optim/adam_update.hpp>

#include <algorithm>
#include <cmath>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/fast_math.hpp>
#include <attograd/core/kernels/parallel.hpp>

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
  auto moments = [&](std::size_t i) {  // g = grad + l2·p; decays p; m and v from g (l2: Adam, decay: AdamW)
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

AdamFamily::AdamFamily(std::string name, std::vector<ParamGroup> groups, double lr, double weight_decay,
                       Moments moments)
    : Optimizer(std::move(name), std::move(groups), lr, weight_decay), moments_(moments) {
  check(moments.beta1 >= 0 && moments.beta1 < 1, "beta1", "in [0, 1)", moments.beta1);
  check(moments.beta2 >= 0 && moments.beta2 < 1, "beta2", "in [0, 1)", moments.beta2);
  check(moments.eps >= 0, "eps", ">= 0", moments.eps);
}

std::vector<std::string> AdamFamily::buffer_names() const {
  if (moments_.amsgrad) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  return {"exp_avg", "exp_avg_sq"};
}

void AdamFamily::adam_step(bool decoupled_weight_decay) {
  NoGradGuard no_grad;
  const Moments& o = moments_;
  for (ParamGroup& group : groups_for_step()) {
    const double lr = *group.lr, wd = *group.weight_decay;
    const auto l2 = decoupled_weight_decay ? 0.0f : static_cast<float>(wd);
    const auto decay = decoupled_weight_decay ? static_cast<float>(1.0 - lr * wd) : 1.0f;
    for (Tensor& param : group.params) {
      if (!param.has_grad()) continue;
      ParamState& state = state_of(param);
      if (state.step == 0)
        for (const std::string& name : buffer_names()) state.buffers[name] = filled_like(param, 0.0f);
      const AdamUpdate update = AdamUpdate::at_step(lr, o.beta1, o.beta2, o.eps, ++state.step, l2, decay);
      float* const p = param.mutable_value().data();
      const float* const g = grad_of(param).data();
      float* const m = state.buffers.at("exp_avg").data();
      float* const v = state.buffers.at("exp_avg_sq").data();
      float* const v_max = o.amsgrad ? state.buffers.at("max_exp_avg_sq").data() : nullptr;
      // Each element's update is independent: a large tensor is cut into ranges over the threads.
      const std::size_t n = param.numel();
      parallel_for(
          n, parallel_parts(n, 64.0 * static_cast<double>(n)), [&](std::size_t, std::size_t from, std::size_t to) {
            adam_update(update, to - from, g + from, p + from, m + from, v + from, v_max ? v_max + from : nullptr);
          });
    }
  }
}

}  // namespace attograd::optim
