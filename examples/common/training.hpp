// The pieces of a training loop the examples share, so that their own loops read
//   for each step: batch = sample(); trainer.step(model->loss(batch), tokens); maybe validate
// Trainer holds Adam or AdamW (with an optional warmup and cosine schedule), gradient clipping, the progress bar,
// the training clock and --profile; the rest are small helpers for sampling and the sanity line.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <attograd/attograd.hpp>

#include "cli.hpp"
#include "progress.hpp"

namespace examples {

struct TrainerOptions {
  std::size_t steps = 0;
  double lr = 1e-3;
  std::string schedule = "constant";    // or "cosine": lr up over the warmup steps, then a half cosine to min_lr
  std::optional<std::size_t> warmup{};  // with "cosine"; unset: 5 % of the steps
  double min_lr = 0.0;                  // with "cosine": where the cosine ends
  // Adam, or with weight_decay > 0 AdamW decaying the matrices only (weights and embeddings of
  // two or more dims; biases and LayerNorm's gains are not shrunk), as nanoGPT's configure_optimizers.
  double weight_decay = 0.0;
  double beta2 = 0.999;
  double clip_norm = 1.0;      // the gradients' joint norm is clipped to this
  std::size_t eval_every = 0;  // validate every N steps and after the last (0: never)
  bool profile = false;        // record where the time goes, printed by finish()
};

// The trainer's options for a run: its steps and lr, and --schedule, --eval-every (if there is a
// validation split) and --profile.
TrainerOptions trainer_options(const CommonOptions& o, const ModelSettings& s, double clip_norm, bool can_validate);

class Trainer {
 public:
  Trainer(std::vector<attograd::Tensor> parameters, const TrainerOptions& options);
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // One optimisation step on `loss`: fresh gradients, clipped, Adam, the schedule; then the
  // progress bar with the tokens the step trained on. Throws std::runtime_error naming the
  // step if the loss is not finite.
  void step(const attograd::Tensor& loss, std::size_t tokens);
  // Whether step `step` (1-based) ends with a validation: every eval_every steps and the last.
  bool validation_due(std::size_t step) const;
  // Runs f off the training clock, so that seconds() counts training alone.
  template <class F>
  void untimed(F&& f) {
    f();
    clock_ = std::chrono::steady_clock::now();
  }
  void finish();  // ends the progress bar; prints --profile's table

  std::size_t steps() const { return options_.steps; }
  const std::vector<double>& losses() const { return losses_; }
  double seconds() const { return seconds_; }

 private:
  TrainerOptions options_;
  std::vector<attograd::Tensor> parameters_;
  std::unique_ptr<attograd::optim::Optimizer> optimizer_;
  std::unique_ptr<attograd::optim::LRScheduler> schedule_;
  ProgressBar bar_;
  std::optional<attograd::ProfileGuard> profile_;
  std::vector<double> losses_;
  double seconds_ = 0.0;
  std::chrono::steady_clock::time_point clock_;
};

// `batch` items drawn uniformly with replacement from `items`, by `g`.
template <class T>
std::vector<const T*> sample_batch(attograd::Generator& g, const std::vector<T>& items, std::size_t batch) {
  std::vector<const T*> picked;
  for (std::size_t i = 0; i < batch; ++i)
    picked.push_back(
        &items[std::min(items.size() - 1, static_cast<std::size_t>(g.uniform() * static_cast<float>(items.size())))]);
  return picked;
}

// The report's validation curve: whether step `step` of `steps` measures the validation loss
// (twenty points over the run, and the last step).
bool curve_point_due(std::size_t step, std::size_t steps);

// The first `n` of `items` (all if fewer): the same validation batch at every point of the curve.
template <class T>
std::vector<const T*> first_items(const std::vector<T>& items, std::size_t n) {
  std::vector<const T*> picked;
  for (std::size_t i = 0; i < std::min(n, items.size()); ++i) picked.push_back(&items[i]);
  return picked;
}

// The metrics JSON before any training: task, model, no steps yet.
nlohmann::json initial_metrics(const std::string& task, const std::string& kind);

// The real tokens of a padded batch: the sum of its lengths.
std::size_t token_count(const std::vector<std::int64_t>& lengths);

// "initial loss 2.890 against ln V = 2.890 (V = 18: a model that knows nothing yet)": a model
// that has learned nothing predicts every token of V about equally, a loss of ln V.
std::string sanity_text(double initial_loss, std::size_t vocab_size);

}  // namespace examples
