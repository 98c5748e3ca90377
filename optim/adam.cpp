// Adam: the options, on top of AdamFamily (adam_update.hpp), which does the step.
#include <attograd/optim/adam.hpp>

#include <attograd/core/profiler.hpp>

namespace attograd::optim {

Adam::Adam(std::vector<Tensor> params, AdamOptions options)
    : Adam(std::vector<ParamGroup>{ParamGroup{std::move(params), {}, {}}}, options) {}

Adam::Adam(std::vector<ParamGroup> groups, AdamOptions options)
    : AdamFamily("Adam", std::move(groups), options.lr, options.weight_decay,
                 {options.beta1, options.beta2, options.eps, options.amsgrad}),
      options_(options) {}

void Adam::step() {
  const profiler::OpTimer timer("optimizer", "Adam.step");
  adam_step(/*decoupled_weight_decay=*/false);
}

}  // namespace attograd::optim
