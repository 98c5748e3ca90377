// Trainer: Adam, clipping, the schedule, the progress bar and the clock.
#include "training.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace examples {

using namespace attograd;

namespace {

std::unique_ptr<optim::Optimizer> make_optimizer(const std::vector<Tensor>& parameters, const TrainerOptions& o) {
  if (o.weight_decay == 0.0)
    return std::make_unique<optim::Adam>(parameters, optim::AdamOptions{.lr = o.lr, .beta2 = o.beta2});
  optim::ParamGroup matrices{.weight_decay = o.weight_decay}, others{.weight_decay = 0.0};
  for (const Tensor& p : parameters) (p.dim() >= 2 ? matrices : others).params.push_back(p);
  std::vector<optim::ParamGroup> groups;
  for (optim::ParamGroup* g : {&matrices, &others})
    if (!g->params.empty()) groups.push_back(*g);
  return std::make_unique<optim::AdamW>(groups, optim::AdamWOptions{.lr = o.lr, .beta2 = o.beta2});
}

}  // namespace

Trainer::Trainer(std::vector<Tensor> parameters, const TrainerOptions& options)
    : options_(options),
      parameters_(std::move(parameters)),
      optimizer_(make_optimizer(parameters_, options)),
      bar_(options.steps),
      clock_(std::chrono::steady_clock::now()) {
  const int steps = static_cast<int>(options.steps);
  const int warmup = static_cast<int>(options.warmup.value_or(options.steps / 20));
  if (options.schedule == "cosine")
    schedule_ = std::make_unique<optim::CosineWarmupLR>(*optimizer_, std::min(warmup, std::max(steps - 1, 0)), steps,
                                                        options.min_lr);
  if (options.profile) profile_.emplace();
}

void Trainer::step(const Tensor& loss, std::size_t tokens) {
  losses_.push_back(loss.item());
  if (!std::isfinite(losses_.back()))
    throw std::runtime_error(fmt::format("the loss is {} at step {}: stopping", losses_.back(), losses_.size()));
  optimizer_->zero_grad();
  loss.backward();
  optim::clip_grad_norm_(parameters_, options_.clip_norm);
  optimizer_->step();
  if (schedule_) schedule_->step();
  const auto now = std::chrono::steady_clock::now();
  seconds_ += std::chrono::duration<double>(now - clock_).count();
  clock_ = now;
  bar_.update(losses_.size(), losses_.back(), tokens);
}

bool Trainer::validation_due(std::size_t step) const {
  return options_.eval_every > 0 && (step % options_.eval_every == 0 || step == options_.steps);
}

bool curve_point_due(std::size_t step, std::size_t steps) {
  return step == steps || step % std::max<std::size_t>(1, steps / 20) == 0;
}

void Trainer::finish() {
  bar_.finish();
  if (profile_)
    fmt::print(stderr, "profile of {} training steps (evaluations included):\n{}", losses_.size(),
               profile_->report().table());
}

TrainerOptions trainer_options(const CommonOptions& o, const ModelSettings& s, double clip_norm, bool can_validate) {
  return {.steps = s.steps,
          .lr = s.lr,
          .schedule = o.schedule,
          .clip_norm = clip_norm,
          .eval_every = can_validate ? o.eval_every : 0,
          .profile = o.profile};
}

nlohmann::json initial_metrics(const std::string& task, const std::string& kind) {
  return {{"task", task}, {"model", kind}, {"steps", 0}, {"train_seconds", 0.0}, {"final_loss", nlohmann::json()}};
}

std::size_t token_count(const std::vector<std::int64_t>& lengths) {
  std::size_t tokens = 0;
  for (const std::int64_t n : lengths) tokens += static_cast<std::size_t>(n);
  return tokens;
}

std::string sanity_text(double initial_loss, std::size_t vocab_size) {
  return fmt::format("initial loss {:.3f} against ln V = {:.3f} (V = {}: a model that knows nothing yet)", initial_loss,
                     std::log(static_cast<double>(vocab_size)), vocab_size);
}

}  // namespace examples
