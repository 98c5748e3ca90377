// Adagrad (Duchi et al., 2011): each coordinate's step is divided by the root of the sum of all
// its squared gradients so far, so often-updated coordinates slow down. Optional learning-rate
// decay and L2 weight decay. Follows PyTorch's torch.optim.Adagrad exactly (dense gradients).
#pragma once

#include <vector>

#include <attograd/optim/optimizer.hpp>

namespace attograd::optim {

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0.0;                   // >= 0: step t uses lr / (1 + (t − 1) · lr_decay)
  double weight_decay = 0.0;               // L2 penalty: adds weight_decay * p to the gradient
  double initial_accumulator_value = 0.0;  // >= 0: where the sum of squares starts
  double eps = 1e-10;                      // >= 0, added to the denominator
};

class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<Tensor> params, AdagradOptions options = {});
  Adagrad(std::vector<ParamGroup> groups, AdagradOptions options = {});

  void step() override;
  const AdagradOptions& options() const { return options_; }

 protected:
  std::vector<std::string> nonnegative_buffers() const override { return {"sum"}; }
  std::vector<std::string> buffer_names() const override { return {"sum"}; }
  bool uses_step() const override { return true; }

 private:
  AdagradOptions options_;
};

}  // namespace attograd::optim
