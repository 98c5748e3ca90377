// AdamW: Adam with the decay moved out of the gradient (see adam_update.hpp).
#include <attograd/optim/adamw.hpp>

#include <attograd/core/profiler.hpp>

namespace attograd::optim {

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options)
    : AdamW(std::vector<ParamGroup>{ParamGroup{std::move(params), {}, {}}}, options) {}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions options)
    : AdamFamily("AdamW", std::move(groups), options.lr, options.weight_decay,
                 {options.beta1, options.beta2, options.eps, options.amsgrad}),
      options_(options) {}

void AdamW::step() {
  const profiler::OpTimer timer("optimizer", "AdamW.step");
  adam_step(/*decoupled_weight_decay=*/true);
}

}  // namespace attograd::optim
