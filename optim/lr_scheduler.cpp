// The learning-rate schedules: the shared step/save/restore logic, then one closed form each.
#include <attograd/optim/lr_scheduler.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include <fmt/format.h>

namespace attograd::optim {

namespace {
void require(bool ok, const char* schedule, const char* setting, const char* rule, double value) {
  if (!ok) throw std::invalid_argument(fmt::format("{}: {} must be {}, got {}", schedule, setting, rule, value));
}
}  // namespace

LRScheduler::LRScheduler(Optimizer& optimizer, std::string name) : optimizer_(optimizer), name_(std::move(name)) {
  for (const ParamGroup& group : optimizer_.param_groups()) base_lrs_.push_back(*group.lr);
}

void LRScheduler::start() { apply(); }

void LRScheduler::step() {
  ++last_step_;
  apply();
}

void LRScheduler::apply() {
  std::vector<ParamGroup>& groups = optimizer_.param_groups();
  if (groups.size() != base_lrs_.size())
    throw std::logic_error(
        fmt::format("LRScheduler: the optimizer had {} param groups when the schedule was built, "
                    "now {}",
                    base_lrs_.size(), groups.size()));
  last_lr_.clear();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double lr = lr_at(base_lrs_[g], last_step_);
    // A schedule may not turn training into gradient ascent or poison it: refuse before use.
    if (!(std::isfinite(lr) && lr >= 0))
      throw std::invalid_argument(
          fmt::format("{}: the learning rate of param group {} at step {} would be {} (base "
                      "lr {}); a schedule must give a finite lr >= 0",
                      name_, g, last_step_, lr, base_lrs_[g]));
    groups[g].lr = lr;
    last_lr_.push_back(lr);
  }
}

NamedArrays LRScheduler::state_dict() const { return {{"last_step", Array(static_cast<float>(last_step_))}}; }

void LRScheduler::load_state_dict(const NamedArrays& state) {
  if (state.size() != 1 || state[0].first != "last_step")
    throw std::invalid_argument(
        fmt::format("LRScheduler: load_state_dict expects exactly one entry 'last_step', got {}",
                    state.size() == 1 ? "'" + state[0].first + "'" : fmt::format("{} entries", state.size())));
  const Array& a = state[0].second;
  const float step = a.size() == 1 ? *a.data() : -1.0f;
  if (a.dimension() != 0 || !(step >= 0) || std::floor(step) != step || step > 16777216.0f)
    throw std::invalid_argument(
        fmt::format("LRScheduler: load_state_dict: 'last_step' must be a 0-d whole number "
                    "in [0, 2^24], got shape {}{}",
                    shape_str(a.shape()), a.size() == 1 ? fmt::format(" value {}", step) : ""));
  last_step_ = static_cast<int>(step);
  apply();
}

StepLR::StepLR(Optimizer& optimizer, int step_size, double gamma)
    : LRScheduler(optimizer, "StepLR"), step_size_(step_size), gamma_(gamma) {
  require(step_size > 0, "StepLR", "step_size", "> 0", step_size);
  require(gamma > 0 && std::isfinite(gamma), "StepLR", "gamma", "finite and > 0", gamma);
  start();
}

double StepLR::lr_at(double base_lr, int step) const { return base_lr * std::pow(gamma_, step / step_size_); }

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler(optimizer, "ExponentialLR"), gamma_(gamma) {
  require(gamma > 0 && std::isfinite(gamma), "ExponentialLR", "gamma", "finite and > 0", gamma);
  start();
}

double ExponentialLR::lr_at(double base_lr, int step) const { return base_lr * std::pow(gamma_, step); }

LambdaLR::LambdaLR(Optimizer& optimizer, std::function<double(int)> multiplier)
    : LRScheduler(optimizer, "LambdaLR"), multiplier_(std::move(multiplier)) {
  if (!multiplier_) throw std::invalid_argument("LambdaLR: the multiplier is an empty std::function");
  start();
}

double LambdaLR::lr_at(double base_lr, int step) const { return base_lr * multiplier_(step); }

CosineWarmupLR::CosineWarmupLR(Optimizer& optimizer, int warmup_steps, int total_steps, double min_lr)
    : LRScheduler(optimizer, "CosineWarmupLR"),
      warmup_steps_(warmup_steps),
      total_steps_(total_steps),
      min_lr_(min_lr) {
  require(warmup_steps >= 0, "CosineWarmupLR", "warmup_steps", ">= 0", warmup_steps);
  if (total_steps <= warmup_steps)
    throw std::invalid_argument(
        fmt::format("CosineWarmupLR: total_steps must be > warmup_steps, got total_steps {} "
                    "and warmup_steps {}",
                    total_steps, warmup_steps));
  require(min_lr >= 0 && std::isfinite(min_lr), "CosineWarmupLR", "min_lr", "finite and >= 0", min_lr);
  start();
}

double CosineWarmupLR::lr_at(double base_lr, int step) const {
  if (step < warmup_steps_) return base_lr * (step + 1) / warmup_steps_;
  if (step > total_steps_) return min_lr_;
  const double progress = static_cast<double>(step - warmup_steps_) / (total_steps_ - warmup_steps_);
  return min_lr_ + (base_lr - min_lr_) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
}

NoamLR::NoamLR(Optimizer& optimizer, int d_model, int warmup, double factor)
    : LRScheduler(optimizer, "NoamLR"), d_model_(d_model), warmup_(warmup), factor_(factor) {
  require(d_model > 0, "NoamLR", "d_model", "> 0", d_model);
  require(warmup > 0, "NoamLR", "warmup", "> 0", warmup);
  require(factor > 0, "NoamLR", "factor", "> 0", factor);
  start();
}

double NoamLR::lr_at(double /*base_lr*/, int step) const {
  const double n = step + 1.0;
  return factor_ * std::pow(d_model_, -0.5) * std::min(std::pow(n, -0.5), n * std::pow(warmup_, -1.5));
}

}  // namespace attograd::optim
