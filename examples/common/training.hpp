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
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <attograd/attograd.hpp>

#include "cli.hpp"
#include "progress.hpp"

namespace examples {

// (step, loss) points of a validation curve, step 1-based as the training loss's.
using ValidationCurve = std::vector<std::pair<std::size_t, double>>;

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
  // Keep the best: the name of the validation metric (higher is better) whose best value's model
  // the run ends with (keep_best below); "" keeps the last step's. `patience`: stop after this
  // many validations in a row without a better value (0: never stop early).
  std::string keep_best_by{};
  std::size_t patience = 0;
  bool profile = false;  // record where the time goes, printed by finish()
  RunOptions run{};      // --checkpoint, --save-every, --resume, --detect-anomaly (cli.hpp)
};

// The metadata of a run's checkpoints: the program's own (the model's settings, as --save writes
// them), the program's name and its command line (the saved run's, when resuming).
attograd::Metadata run_metadata(const Given& given, attograd::Metadata program_metadata);

// The prefix under which a checkpoint keeps Trainer::keep_best's copy of each model tensor
// ("kept_best.encoder.weight"); load_model_file leaves these out.
inline const std::string kept_best_prefix = "kept_best.";

// The step being trained (0 outside training), so that run_main can say where an anomaly came from.
extern std::size_t current_training_step;

// What a checkpoint holds besides the trainer's own state (optimizer, schedule, losses, clock):
// the model, the data stream's generator, the validation curve, the metrics so far, and the
// program's metadata (run_metadata: the model's settings and the command line).
struct RunState {
  attograd::StateDict model;               // Module::state_dict(): handles to the live tensors
  attograd::Generator* batches = nullptr;  // where the training data stream is
  ValidationCurve* curve = nullptr;
  nlohmann::json* metrics = nullptr;
  attograd::Metadata metadata;
};

// Thrown after Ctrl-C, once the checkpoint is written; run_main prints it and exits with 130.
struct Interrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The trainer's options for a run: its steps and lr, and --schedule, --eval-every (if there is a
// validation split), --keep, --best-by, --patience and --profile. On a user's own data
// (`own_data`) without --eval-every given, it validates every tenth of the steps, so that the
// best model is kept there by default; generated tasks validate only when asked.
TrainerOptions trainer_options(const CommonOptions& o, const Given& given, const ModelSettings& s, double clip_norm,
                               bool can_validate, bool own_data);

// The validation interval such a run uses (when it has a validation split): --eval-every if
// given, a tenth of the steps on a user's own data, else --eval-every's default (0: none).
std::size_t eval_every_used(const CommonOptions& o, const Given& given, std::size_t steps, bool own_data);

// --eval-every as the report's settings show it: "240 (a tenth of --steps, on your own data)".
std::pair<std::string, std::string> eval_every_setting(const CommonOptions& o, const Given& given, std::size_t steps,
                                                       bool own_data);

class Trainer {
 public:
  Trainer(std::vector<attograd::Tensor> parameters, const TrainerOptions& options);
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  ~Trainer();  // gives Ctrl-C back to its previous handler

  // What checkpoints hold from now on. With --resume, restores all of it from the file now (the
  // model, optimizer, schedule, default and data generators, losses, curve, metrics and clock);
  // the loop then starts at first_step(). Throws std::runtime_error naming the file if it is not
  // a checkpoint of this run.
  void track(RunState state);
  std::size_t first_step() const { return losses_.size() + 1; }

  // One optimisation step on `loss`: fresh gradients, clipped, Adam, the schedule; then the
  // progress bar with the tokens the step trained on. A loss or gradient norm that is not finite
  // stops training: std::runtime_error names the step and the last checkpoint, which is intact.
  void step(const attograd::Tensor& loss, std::size_t tokens);
  // Ends step `step` (after its validation): writes the checkpoint every --save-every steps and
  // after the last; after Ctrl-C writes it and throws Interrupted. A checkpoint that cannot be
  // written stops the run (std::runtime_error naming the path and the cause; the previous
  // checkpoint is intact: it is replaced only by a rename once the new one is complete).
  // Test hook: ATTOGRAD_FAULT_BLOWUP_STEP=N sets the model's first parameter to 3e38 before step
  // N, as a weight that blew up would be, so the tests can watch a run diverge.
  void end_step(std::size_t step);
  // Whether step `step` (1-based) ends with a validation: every eval_every steps and the last.
  bool validation_due(std::size_t step) const;
  // After a validation at `step`: `score` is its keep_best_by metric. A score above every earlier
  // one (ties keep the earlier model) copies the model's weights aside; checkpoints keep the copy.
  // After `patience` validations in a row without a better score, says so and stopped_early()
  // turns true: end_step then writes the checkpoint, and the loop ends.
  void keep_best(std::size_t step, double score);
  bool stopped_early() const;
  // Runs f off the training clock, so that seconds() counts training alone.
  template <class F>
  void untimed(F&& f) {
    f();
    clock_ = std::chrono::steady_clock::now();
  }
  // Ends the progress bar; prints --profile's table. With keep_best_by, puts the kept weights back
  // into the model and says so ("keeping the model of step 1200 (validation bleu 0.4120, the best
  // of 10 validations; the last one's: 0.3980)"), recording kept_step and kept_validation_METRIC
  // in the metrics (and stopped_early_at, if it did).
  void finish();

  std::size_t steps() const { return options_.steps; }
  const std::vector<double>& losses() const { return losses_; }
  double seconds() const { return seconds_; }
  std::size_t tokens() const { return tokens_; }  // trained on so far

 private:
  void save(std::size_t step, const std::string& path);
  void restore(const std::string& path);
  attograd::StateDict saved_tensors() const;  // the model, and keep_best's copy under kept_best_prefix
  void use_best();                            // finish's part: the kept weights back into the model
  std::string intact() const;                 // "; the checkpoint PATH (step N) is intact: …", or ""

  TrainerOptions options_;
  std::vector<attograd::Tensor> parameters_;
  std::unique_ptr<attograd::optim::Optimizer> optimizer_;
  std::unique_ptr<attograd::optim::LRScheduler> schedule_;
  ProgressBar bar_;
  std::optional<attograd::ProfileGuard> profile_;
  std::optional<attograd::AnomalyModeGuard> anomaly_;
  RunState state_;
  std::vector<double> losses_;
  std::size_t tokens_ = 0, saved_step_ = 0;
  std::size_t blowup_step_ = 0;  // ATTOGRAD_FAULT_BLOWUP_STEP, read once (0: none)
  std::string saved_path_;
  // keep_best's copy of the model (one tensor per state_.model entry) and its record.
  std::vector<attograd::Tensor> best_;
  nlohmann::json best_record_ = {{"step", 0}, {"score", nullptr}, {"last", nullptr}, {"validations", 0}, {"since", 0}};
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
