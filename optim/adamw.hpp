// AdamW (Loshchilov & Hutter, 2019): Adam whose weight decay shrinks the parameters directly
// (p ← p · (1 − lr · wd)) instead of entering the gradient, so it is not rescaled by the
// adaptive denominator. Follows PyTorch's torch.optim.AdamW exactly.
#pragma once

#include <vector>

#include <attograd/optim/adam_update.hpp>
#include <attograd/optim/optimizer.hpp>

namespace attograd::optim {

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;          // in [0, 1)
  double beta2 = 0.999;        // in [0, 1)
  double eps = 1e-8;           // >= 0
  double weight_decay = 1e-2;  // decoupled: each step multiplies p by (1 − lr · weight_decay)
  bool amsgrad = false;
};

class AdamW : public AdamFamily {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions options = {});
  AdamW(std::vector<ParamGroup> groups, AdamWOptions options = {});

  void step() override;
  const AdamWOptions& options() const { return options_; }

 private:
  AdamWOptions options_;
};

}  // namespace attograd::optim
