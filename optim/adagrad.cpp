// Adagrad's option checks and update loop.
#include <attograd/optim/adagrad.hpp>

#include <attograd/core/profiler.hpp>

#include <cmath>

#include <attograd/core/autograd.hpp>

namespace attograd::optim {

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions options)
    : Adagrad(std::vector<ParamGroup>{ParamGroup{std::move(params), {}, {}}}, options) {}

Adagrad::Adagrad(std::vector<ParamGroup> groups, AdagradOptions options)
    : Optimizer("Adagrad", std::move(groups), options.lr, options.weight_decay), options_(options) {
  check(options_.lr_decay >= 0, "lr_decay", ">= 0", options_.lr_decay);
  check(options_.initial_accumulator_value >= 0, "initial_accumulator_value", ">= 0",
        options_.initial_accumulator_value);
  check(options_.eps >= 0, "eps", ">= 0", options_.eps);
}

void Adagrad::step() {
  const profiler::OpTimer timer("optimizer", "Adagrad.step");
  NoGradGuard no_grad;
  const auto eps = static_cast<float>(options_.eps);
  for (ParamGroup& group : groups_for_step()) {
    const auto wd = static_cast<float>(*group.weight_decay);
    for (Tensor& param : group.params) {
      if (!param.has_grad()) continue;
      const float* grad = grad_of(param).data();
      float* p = param.mutable_value().data();
      const std::size_t n = param.numel();

      // PyTorch fills the sum when the optimizer is built; filling it at the first update
      // gives the same steps.
      ParamState& state = state_of(param);
      if (state.step == 0)
        state.buffers["sum"] = filled_like(param, static_cast<float>(options_.initial_accumulator_value));
      float* sum = state.buffers.at("sum").data();

      const auto t = static_cast<double>(++state.step);
      const auto neg_clr = static_cast<float>(-(*group.lr / (1.0 + (t - 1.0) * options_.lr_decay)));

      // g ← g + wd · p
      // S ← S + g²
      // p ← p − lr / (1 + (t − 1) · lr_decay) · g / (√S + eps)
      for (std::size_t i = 0; i < n; ++i) {
        const float g = grad[i] + wd * p[i];
        sum[i] = sum[i] + g * g;
        const float std_dev = std::sqrt(sum[i]) + eps;
        p[i] += neg_clr * g / std_dev;
      }
    }
  }
}

}  // namespace attograd::optim
