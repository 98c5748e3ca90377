// SGD's option checks and update loop.
#include <attograd/optim/sgd.hpp>

#include <attograd/core/profiler.hpp>

#include <attograd/core/autograd.hpp>

namespace attograd::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : SGD(std::vector<ParamGroup>{ParamGroup{std::move(params), {}, {}}}, options) {}

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions options)
    : Optimizer("SGD", std::move(groups), options.lr, options.weight_decay), options_(options) {
  check(options_.momentum >= 0, "momentum", ">= 0", options_.momentum);
  check(options_.dampening >= 0 && options_.dampening <= 1, "dampening", "in [0, 1]", options_.dampening);
  if (options_.nesterov) {
    check(options_.momentum > 0, "momentum", "> 0 with nesterov", options_.momentum);
    check(options_.dampening == 0, "dampening", "0 with nesterov", options_.dampening);
  }
}

std::vector<std::string> SGD::buffer_names() const {
  if (options_.momentum == 0) return {};
  return {"momentum_buffer"};
}

void SGD::step() {
  const profiler::OpTimer timer("optimizer", "SGD.step");
  NoGradGuard no_grad;
  const auto momentum = static_cast<float>(options_.momentum);
  const auto keep = static_cast<float>(1.0 - options_.dampening);
  const bool nesterov = options_.nesterov;
  for (ParamGroup& group : groups_for_step()) {
    const auto lr = static_cast<float>(*group.lr);
    const auto wd = static_cast<float>(*group.weight_decay);
    for (Tensor& param : group.params) {
      if (!param.has_grad()) continue;
      const float* g = grad_of(param).data();
      float* p = param.mutable_value().data();
      const std::size_t n = param.numel();

      if (momentum == 0) {
        // p ← p − lr · (g + wd · p)
        for (std::size_t i = 0; i < n; ++i) {
          const float d = g[i] + wd * p[i];
          p[i] += -lr * d;
        }
        continue;
      }

      ParamState& state = state_of(param);
      // The first step starts the buffer at the gradient itself (no dampening), as PyTorch.
      const bool first = !state.buffers.count("momentum_buffer");
      Array& buffer = state.buffers["momentum_buffer"];
      if (first) buffer = Array::from_shape(param.shape());
      float* b = buffer.data();
      // d = g + wd · p
      // b ← d                                    on the first step
      // b ← momentum · b + (1 − dampening) · d   afterwards
      // p ← p − lr · (d + momentum · b)          with nesterov
      // p ← p − lr · b                           without
      for (std::size_t i = 0; i < n; ++i) {
        float d = g[i] + wd * p[i];
        b[i] = first ? d : b[i] * momentum + keep * d;
        d = nesterov ? d + momentum * b[i] : b[i];
        p[i] += -lr * d;
      }
    }
  }
}

}  // namespace attograd::optim
