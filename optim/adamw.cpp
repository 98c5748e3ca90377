// AdamW's option checks and update loop (Adam's, with the decay moved out of the gradient).
#include <attograd/optim/adamw.hpp>

#include <algorithm>
#include <cmath>

#include <attograd/core/autograd.hpp>

namespace attograd::optim {

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options)
    : AdamW(std::vector<ParamGroup>{ParamGroup{std::move(params), {}, {}}}, options) {}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions options)
    : Optimizer("AdamW", std::move(groups), options.lr, options.weight_decay), options_(options) {
  check(options_.beta1 >= 0 && options_.beta1 < 1, "beta1", "in [0, 1)", options_.beta1);
  check(options_.beta2 >= 0 && options_.beta2 < 1, "beta2", "in [0, 1)", options_.beta2);
  check(options_.eps >= 0, "eps", ">= 0", options_.eps);
}

std::vector<std::string> AdamW::buffer_names() const {
  if (options_.amsgrad) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  return {"exp_avg", "exp_avg_sq"};
}

void AdamW::step() {
  NoGradGuard no_grad;
  const double beta1 = options_.beta1, beta2 = options_.beta2;
  const auto b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
  const auto one_minus_b1 = static_cast<float>(1.0 - beta1), one_minus_b2 = static_cast<float>(1.0 - beta2);
  const auto eps = static_cast<float>(options_.eps);
  const bool amsgrad = options_.amsgrad;
  for (ParamGroup& group : param_groups()) {
    const auto decay = static_cast<float>(1.0 - *group.lr * *group.weight_decay);
    for (Tensor& param : group.params) {
      if (!param.has_grad()) continue;
      const float* grad = grad_of(param).data();
      float* p = param.mutable_value().data();
      const std::size_t n = param.numel();

      ParamState& state = state_of(param);
      if (state.step == 0)
        for (const std::string& name : buffer_names()) state.buffers[name] = filled_like(param, 0.0f);
      float* m = state.buffers.at("exp_avg").data();
      float* v = state.buffers.at("exp_avg_sq").data();
      float* v_max = amsgrad ? state.buffers.at("max_exp_avg_sq").data() : nullptr;

      const auto t = static_cast<double>(++state.step);
      const double step_size = *group.lr / (1.0 - std::pow(beta1, t));
      const auto neg_step_size = static_cast<float>(-step_size);
      const auto bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(beta2, t)));

      // p ← p · (1 − lr · wd)              decoupled decay, before the Adam step
      // m ← β1 · m + (1 − β1) · g
      // v ← β2 · v + (1 − β2) · g²
      // v̂ ← max(v̂, v)                    with amsgrad (v̂ replaces v below)
      // p ← p − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
      for (std::size_t i = 0; i < n; ++i) {
        const float g = grad[i];
        p[i] *= decay;
        m[i] = m[i] * b1 + one_minus_b1 * g;
        v[i] = v[i] * b2 + one_minus_b2 * g * g;
        float second = v[i];
        if (amsgrad) second = v_max[i] = std::max(v_max[i], v[i]);
        const float denom = std::sqrt(second) / bc2_sqrt + eps;
        p[i] += neg_step_size * m[i] / denom;
      }
    }
  }
}

}  // namespace attograd::optim
