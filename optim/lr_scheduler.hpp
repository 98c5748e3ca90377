// Learning-rate schedules. A schedule remembers each group's lr when it was built (its base
// lr), counts its steps and, after every step, writes lr = f(base lr, step) into every param
// group. The lr at step 0 is written when the schedule is built, as in PyTorch.
//
// Usage per training step, in PyTorch's order:
//   loss.backward(); optimizer.step(); scheduler.step();
//
// Every schedule here is a closed form of the step count, so saving the count is enough to
// resume: state_dict() = {"last_step": 0-d}, and load_state_dict() writes the lr for that step.
// One schedule per optimizer (they overwrite the lr rather than chain).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <attograd/core/safetensors.hpp>
#include <attograd/optim/optimizer.hpp>

namespace attograd::optim {

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  void step();                                                         // last_step += 1, then set the lrs
  int last_step() const { return last_step_; }                         // 0 right after construction
  const std::vector<double>& get_last_lr() const { return last_lr_; }  // one per param group
  const std::vector<double>& base_lrs() const { return base_lrs_; }

  NamedArrays state_dict() const;
  // Restores the step count (a 0-d whole number >= 0; exact up to 2^24) and sets the lrs.
  void load_state_dict(const NamedArrays& state);

 protected:
  // Does not set the lrs: a subclass constructor calls start() once its own fields are set.
  // `name` names the schedule in errors.
  explicit LRScheduler(Optimizer& optimizer, std::string name = "LRScheduler");
  void start();

  // The lr of a group whose base lr is `base_lr`, at step `step` (>= 0).
  virtual double lr_at(double base_lr, int step) const = 0;

 private:
  void apply();

  Optimizer& optimizer_;
  std::string name_;
  std::vector<double> base_lrs_;
  std::vector<double> last_lr_;
  int last_step_ = 0;
};

// lr = base · gamma^⌊step / step_size⌋   (step_size > 0, gamma > 0)
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int step_size, double gamma = 0.1);

 protected:
  double lr_at(double base_lr, int step) const override;

 private:
  int step_size_;
  double gamma_;
};

// lr = base · gamma^step   (gamma > 0)
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  double lr_at(double base_lr, int step) const override;

 private:
  double gamma_;
};

// lr = base · multiplier(step), for any multiplier you write.
class LambdaLR : public LRScheduler {
 public:
  LambdaLR(Optimizer& optimizer, std::function<double(int)> multiplier);

 protected:
  double lr_at(double base_lr, int step) const override;

 private:
  std::function<double(int)> multiplier_;
};

// Linear warmup, then a half cosine from the base lr down to min_lr, then min_lr. With
// W = warmup_steps, T = total_steps and s = the step count:
//   s < W:        lr = base · (s + 1) / W          (rises to base; never 0, so no step is wasted)
//   W <= s <= T:  lr = min_lr + (base − min_lr) · ½ · (1 + cos(π · (s − W) / (T − W)))
//   s > T:        lr = min_lr
// Needs 0 <= W < T and 0 <= min_lr; W = 0 is a plain cosine decay.
class CosineWarmupLR : public LRScheduler {
 public:
  CosineWarmupLR(Optimizer& optimizer, int warmup_steps, int total_steps, double min_lr = 0.0);

 protected:
  double lr_at(double base_lr, int step) const override;

 private:
  int warmup_steps_;
  int total_steps_;
  double min_lr_;
};

// The schedule of "Attention Is All You Need" (Vaswani et al. 2017, §5.3), for every group:
//   lr = factor · d_model^−0.5 · min(n^−0.5, n · warmup^−1.5),   n = step + 1
// n is the paper's 1-based step number: the first optimizer step uses n = 1. The lr rises
// linearly for `warmup` steps, peaks at n = warmup, then decays as 1/√n. The optimizer's own
// lr is ignored (the paper's Adam had betas (0.9, 0.98), eps 1e-9).
class NoamLR : public LRScheduler {
 public:
  NoamLR(Optimizer& optimizer, int d_model, int warmup, double factor = 1.0);

 protected:
  double lr_at(double base_lr, int step) const override;

 private:
  int d_model_;
  int warmup_;
  double factor_;
};

}  // namespace attograd::optim
