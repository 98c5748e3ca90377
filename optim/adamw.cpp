// AdamW: Adam with the decay moved out of the gradient (see adam_update.hpp).
#include <attograd/optim/adamw.hpp>

#include <attograd/core/autograd.hpp>
#include <attograd/optim/adam_update.hpp>

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
  for (ParamGroup& group : param_groups()) {
    for (Tensor& param : group.params) {
      if (!param.has_grad()) continue;
      ParamState& state = state_of(param);
      if (state.step == 0)
        for (const std::string& name : buffer_names()) state.buffers[name] = filled_like(param, 0.0f);
      const AdamUpdate update =
          AdamUpdate::at_step(*group.lr, options_.beta1, options_.beta2, options_.eps, ++state.step, 0.0f,
                              static_cast<float>(1.0 - *group.lr * *group.weight_decay));
      adam_update(update, param.numel(), grad_of(param).data(), param.mutable_value().data(),
                  state.buffers.at("exp_avg").data(), state.buffers.at("exp_avg_sq").data(),
                  options_.amsgrad ? state.buffers.at("max_exp_avg_sq").data() : nullptr);
    }
  }
}

}  // namespace attograd::optim
