// RMSprop (Hinton's lecture 6e): steps divided by a running root-mean-square of the gradient;
// optionally centred (divide by an estimate of the standard deviation instead) and with a
// momentum buffer. Follows PyTorch's torch.optim.RMSprop exactly.
#pragma once

#include <vector>

#include <attograd/optim/optimizer.hpp>

namespace attograd::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;        // decay of the running averages, in [0, 1]
  double eps = 1e-8;          // >= 0, added to the denominator
  double weight_decay = 0.0;  // L2 penalty: adds weight_decay * p to the gradient
  double momentum = 0.0;      // >= 0; 0 turns the momentum buffer off
  bool centered = false;      // subtract the squared running mean of the gradient
};

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, RMSpropOptions options = {});
  RMSprop(std::vector<ParamGroup> groups, RMSpropOptions options = {});

  void step() override;
  const RMSpropOptions& options() const { return options_; }

 protected:
  std::vector<std::string> nonnegative_buffers() const override { return {"square_avg"}; }
  std::vector<std::string> buffer_names() const override;
  bool uses_step() const override { return false; }

 private:
  RMSpropOptions options_;
};

}  // namespace attograd::optim
