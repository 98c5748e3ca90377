// The element-wise update Adam and AdamW share, for one parameter tensor:
//   g ← g + l2 · p                         Adam's weight decay (AdamW: l2 = 0)
//   p ← p · decay                          AdamW's decoupled decay, 1 − lr · wd (Adam: 1)
//   m ← β1 · m + (1 − β1) · g
//   v ← β2 · v + (1 − β2) · g²
//   v̂ ← max(v̂, v)                         with amsgrad (v̂ replaces v below)
//   p ← p − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
// Compiled per instruction set (ATTOGRAD_VECTOR_CLONES), since it touches every parameter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <attograd/optim/optimizer.hpp>

namespace attograd::optim {

struct AdamUpdate {
  float beta1, beta2, eps;
  float one_minus_beta1, one_minus_beta2;  // from the double betas, as PyTorch rounds them
  float l2 = 0.0f;
  float decay = 1.0f;
  float neg_step_size = 0.0f;          // −lr / (1 − β1ᵗ)
  float bias_correction2_sqrt = 1.0f;  // √(1 − β2ᵗ)

  // The coefficients of step t (counting from 1), bias corrections in double as PyTorch does.
  static AdamUpdate at_step(double lr, double beta1, double beta2, double eps, std::int64_t t, float l2, float decay);
};

// v_max is null without amsgrad.
void adam_update(const AdamUpdate& u, std::size_t n, const float* grad, float* p, float* m, float* v, float* v_max);

// What Adam and AdamW share: the checks of β1, β2 and eps, the state they keep
// (exp_avg, exp_avg_sq, and max_exp_avg_sq with amsgrad), and the step over every group.
// They differ only in where the weight decay goes.
class AdamFamily : public Optimizer {
 protected:
  struct Moments {
    double beta1, beta2, eps;
    bool amsgrad;
  };
  AdamFamily(std::string name, std::vector<ParamGroup> groups, double lr, double weight_decay, Moments moments);

  // decoupled false: Adam (l2 = wd enters the gradient); true: AdamW (p ← p · (1 − lr · wd)).
  void adam_step(bool decoupled_weight_decay);

  std::vector<std::string> buffer_names() const override;
  std::vector<std::string> nonnegative_buffers() const override { return {"exp_avg_sq", "max_exp_avg_sq"}; }
  bool uses_step() const override { return true; }

 private:
  Moments moments_;
};

}  // namespace attograd::optim
