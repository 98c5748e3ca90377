// Adam (Kingma & Ba, 2015): steps scaled by running estimates of the gradient's first and
// second moments, with bias correction; optional AMSGrad and L2 weight decay added to the
// gradient, following PyTorch's torch.optim.Adam exactly. For decoupled decay see AdamW.
#pragma once

#include <vector>

#include <attograd/optim/adam_update.hpp>
#include <attograd/optim/optimizer.hpp>

namespace attograd::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;         // decay of the first-moment (mean) estimate, in [0, 1)
  double beta2 = 0.999;       // decay of the second-moment (uncentred variance) estimate, in [0, 1)
  double eps = 1e-8;          // >= 0, added to the denominator
  double weight_decay = 0.0;  // L2 penalty: adds weight_decay * p to the gradient
  bool amsgrad = false;       // divide by the largest second moment seen so far
};

class Adam : public AdamFamily {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options = {});
  Adam(std::vector<ParamGroup> groups, AdamOptions options = {});

  void step() override;
  const AdamOptions& options() const { return options_; }

 private:
  AdamOptions options_;
};

}  // namespace attograd::optim
