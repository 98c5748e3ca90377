// SGD: stochastic gradient descent with optional momentum (heavy ball or Nesterov), dampening
// and L2 weight decay, following PyTorch's torch.optim.SGD update rule exactly.
#pragma once

#include <vector>

#include <attograd/optim/optimizer.hpp>

namespace attograd::optim {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0.0;      // >= 0; 0 turns the momentum buffer off
  double dampening = 0.0;     // in [0, 1]: the share of the new gradient left out of the buffer
  double weight_decay = 0.0;  // L2 penalty: adds weight_decay * p to the gradient
  bool nesterov = false;      // needs momentum > 0 and dampening = 0
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options = {});
  SGD(std::vector<ParamGroup> groups, SGDOptions options = {});

  void step() override;
  const SGDOptions& options() const { return options_; }

 protected:
  std::vector<std::string> buffer_names() const override;
  bool uses_step() const override { return false; }

 private:
  SGDOptions options_;
};

}  // namespace attograd::optim
