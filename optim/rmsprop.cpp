// RMSprop's option checks and update loop.
#include <attograd/optim/rmsprop.hpp>

#include <attograd/core/profiler.hpp>

#include <cmath>

#include <attograd/core/autograd.hpp>

namespace attograd::optim {

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions options)
    : RMSprop(std::vector<ParamGroup>{ParamGroup{std::move(params), {}, {}}}, options) {}

RMSprop::RMSprop(std::vector<ParamGroup> groups, RMSpropOptions options)
    : Optimizer("RMSprop", std::move(groups), options.lr, options.weight_decay), options_(options) {
  check(options_.alpha >= 0 && options_.alpha <= 1, "alpha", "in [0, 1]", options_.alpha);
  check(options_.eps >= 0, "eps", ">= 0", options_.eps);
  check(options_.momentum >= 0, "momentum", ">= 0", options_.momentum);
}

std::vector<std::string> RMSprop::buffer_names() const {
  std::vector<std::string> names{"square_avg"};
  if (options_.momentum > 0) names.emplace_back("momentum_buffer");
  if (options_.centered) names.emplace_back("grad_avg");
  return names;
}

void RMSprop::step() {
  const profiler::OpTimer timer("optimizer", "RMSprop.step");
  NoGradGuard no_grad;
  const auto alpha = static_cast<float>(options_.alpha);
  const auto one_minus_alpha = static_cast<float>(1.0 - options_.alpha);
  const auto eps = static_cast<float>(options_.eps);
  const auto momentum = static_cast<float>(options_.momentum);
  const bool centered = options_.centered;
  for (ParamGroup& group : groups_for_step()) {
    const auto lr = static_cast<float>(*group.lr);
    const auto wd = static_cast<float>(*group.weight_decay);
    for (Tensor& param : group.params) {
      if (!param.has_grad()) continue;
      const float* grad = grad_of(param).data();
      float* p = param.mutable_value().data();
      const std::size_t n = param.numel();

      ParamState& state = state_of(param);
      if (state.buffers.empty())
        for (const std::string& name : buffer_names()) state.buffers[name] = filled_like(param, 0.0f);
      float* sq = state.buffers.at("square_avg").data();
      float* buf = momentum > 0 ? state.buffers.at("momentum_buffer").data() : nullptr;
      float* mean = centered ? state.buffers.at("grad_avg").data() : nullptr;

      // g ← g + wd · p
      // s ← α · s + (1 − α) · g²
      // ḡ ← α · ḡ + (1 − α) · g            centered only
      // r = √(s − ḡ²) + eps  (centered)    or   √s + eps
      // b ← momentum · b + g / r,  p ← p − lr · b     with momentum
      // p ← p − lr · g / r                             without
      for (std::size_t i = 0; i < n; ++i) {
        const float g = grad[i] + wd * p[i];
        sq[i] = sq[i] * alpha + one_minus_alpha * g * g;
        float r;
        if (centered) {
          mean[i] = mean[i] * alpha + one_minus_alpha * g;
          r = std::sqrt(sq[i] - mean[i] * mean[i]) + eps;
        } else {
          r = std::sqrt(sq[i]) + eps;
        }
        if (momentum > 0) {
          buf[i] = buf[i] * momentum + g / r;
          p[i] += -lr * buf[i];
        } else {
          p[i] += -lr * g / r;
        }
      }
    }
  }
}

}  // namespace attograd::optim
