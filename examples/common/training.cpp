// Trainer: Adam, clipping, the schedule, the progress bar and the clock.
#include "training.hpp"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <exception>
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

// Ctrl-C during training: noted here, acted on at the end of the step (Trainer::end_step). A
// second Ctrl-C before then kills the program as usual.
volatile std::sig_atomic_t interrupt_requested = 0;
extern "C" void on_interrupt(int) {
  interrupt_requested = 1;
  std::signal(SIGINT, SIG_DFL);
}
using SignalHandler = void (*)(int);
SignalHandler previous_handler = SIG_DFL;

std::string metadata_value(const Metadata& m, const std::string& key, const std::string& path) {
  const auto it = m.find(key);
  if (it == m.end())
    throw std::runtime_error(fmt::format("--resume {}: not a checkpoint of a training run (no '{}' in it)", path, key));
  return it->second;
}

}  // namespace

std::size_t current_training_step = 0;

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
  if (options.eval_every > 0 && options.steps > 0)
    fmt::print("validating every {} steps; {}\n", options.eval_every,
               options.keep_best_by.empty()
                   ? std::string("the test and --save use the last step's model (--keep last)")
                   : fmt::format("the test and --save use the model with the best validation {} (--keep best, "
                                 "--best-by){}",
                                 options.keep_best_by,
                                 options.patience > 0 ? fmt::format(", stopping after {} validations without a better "
                                                                    "one (--patience)",
                                                                    options.patience)
                                                      : ""));
  if (options.profile) profile_.emplace();
  if (options.run.detect_anomaly) anomaly_.emplace(true, true);
  if (const char* fault = std::getenv("ATTOGRAD_FAULT_BLOWUP_STEP")) blowup_step_ = std::strtoull(fault, nullptr, 10);
  interrupt_requested = 0;
  previous_handler = std::signal(SIGINT, on_interrupt);
  if (previous_handler == SIG_IGN) std::signal(SIGINT, SIG_IGN);  // started to ignore Ctrl-C (nohup, cmd &): keep so
}

Trainer::~Trainer() {
  std::signal(SIGINT, previous_handler);
  if (std::uncaught_exceptions() == 0) current_training_step = 0;  // else run_main names the step
}

void Trainer::track(RunState state) {
  state_ = std::move(state);
  if (!options_.keep_best_by.empty())  // the copy exists from the start, so a checkpoint always holds it
    for (const auto& [name, t] : state_.model) best_.emplace_back(Array(t.value()));
  if (!options_.run.resume.empty()) restore(options_.run.resume);
  current_training_step = first_step();
}

Metadata run_metadata(const Given& given, Metadata program_metadata) {
  program_metadata["examples.program"] = given.program();
  program_metadata["examples.args"] = nlohmann::json(given.args()).dump();
  return program_metadata;
}

void Trainer::restore(const std::string& path) {
  const Metadata m = optim::load_training_state(path, saved_tensors(), *optimizer_, schedule_.get());
  auto get = [&](const std::string& key) { return metadata_value(m, key, path); };
  std::size_t step = 0;
  try {  // what the file says about the run: numbers and JSON, each checked
    step = std::stoul(get("examples.step"));
    losses_ = nlohmann::json::parse(get("examples.losses")).get<std::vector<double>>();
    if (state_.curve) {  // a non-finite loss was written as null
      state_.curve->clear();
      for (const auto& point : nlohmann::json::parse(get("examples.curve")))
        state_.curve->emplace_back(point.at(0).get<std::size_t>(),
                                   point.at(1).is_null() ? std::nan("") : point.at(1).get<double>());
    }
    if (state_.metrics) *state_.metrics = nlohmann::json::parse(get("examples.metrics"));
    seconds_ = std::stod(get("examples.seconds"));
    tokens_ = std::stoul(get("examples.tokens"));
    if (state_.batches) state_.batches->set_state(get("examples.batches"));
    if (!best_.empty()) best_record_ = nlohmann::json::parse(get("examples.best"));
  } catch (const std::runtime_error&) {
    throw;  // metadata_value's own message
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("--resume {}: its record of the run is damaged ({})", path, e.what()));
  }
  if (losses_.size() != step || step > options_.steps)
    throw std::runtime_error(fmt::format("--resume {}: it holds {} losses for step {} of a {}-step run", path,
                                         losses_.size(), step, options_.steps));
  saved_step_ = step, saved_path_ = path;
  bar_.resume_at(step, seconds_);
  fmt::print("resumed from {} at step {} of {}\n", path, step, options_.steps);
}

void Trainer::step(const Tensor& loss, std::size_t tokens) {
  losses_.push_back(loss.item());
  if (!std::isfinite(losses_.back()))
    throw std::runtime_error(
        fmt::format("the loss is {} at step {}: stopping{}", losses_.back(), losses_.size(), intact()));
  optimizer_->zero_grad();
  loss.backward();
  const double norm = optim::clip_grad_norm_(parameters_, options_.clip_norm);
  if (!std::isfinite(norm))
    throw std::runtime_error(
        fmt::format("the gradients' norm is {} at step {}: stopping{}", norm, losses_.size(), intact()));
  optimizer_->step();
  if (schedule_) schedule_->step();
  const auto now = std::chrono::steady_clock::now();
  seconds_ += std::chrono::duration<double>(now - clock_).count();
  clock_ = now;
  tokens_ += tokens;
  bar_.update(losses_.size(), losses_.back(), tokens);
}

void Trainer::end_step(std::size_t step) {
  const std::string& path = options_.run.checkpoint;
  const bool interrupted = interrupt_requested != 0;  // read once: Ctrl-C may come at any moment
  const bool due =
      step == options_.steps || stopped_early() || (options_.run.save_every > 0 && step % options_.run.save_every == 0);
  if (!path.empty() && (due || interrupted)) untimed([&] { save(step, path); });
  if (interrupted) {
    const std::string program = state_.metadata.count("examples.program") ? state_.metadata.at("examples.program") : "";
    const std::string where = path.empty() ? program + "_interrupted.safetensors" : path;
    if (path.empty()) save(step, where);
    bar_.finish();
    throw Interrupted(fmt::format(
        "interrupted after step {}: the checkpoint {} holds it; continue with {} --resume {} --checkpoint {}", step,
        where, program, where, where));
  }
  current_training_step = step + 1;
  if (step + 1 == blowup_step_) parameters_.front().mutable_value().fill(3e38f);  // the test hook in training.hpp
}

void Trainer::save(std::size_t step, const std::string& path) {
  Metadata m = state_.metadata;
  m["examples.step"] = std::to_string(step);
  m["examples.losses"] = nlohmann::json(losses_).dump();
  m["examples.batches"] = state_.batches ? state_.batches->state() : "";
  m["examples.curve"] = nlohmann::json(state_.curve ? *state_.curve : ValidationCurve{}).dump();
  m["examples.metrics"] = state_.metrics ? state_.metrics->dump() : "{}";
  m["examples.seconds"] = fmt::format("{}", seconds_);
  m["examples.tokens"] = std::to_string(tokens_);
  if (!best_.empty()) m["examples.best"] = best_record_.dump();
  try {
    optim::save_training_state(path, saved_tensors(), *optimizer_, schedule_.get(), m);
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("--checkpoint {}: {}; training stops here at step {}{}", path, e.what(), step, intact()));
  }
  saved_step_ = step, saved_path_ = path;
}

std::string Trainer::intact() const {
  if (saved_step_ == 0) return "";
  return fmt::format("; the checkpoint {} (step {}) is intact: continue with --resume {}", saved_path_, saved_step_,
                     saved_path_);
}

bool Trainer::validation_due(std::size_t step) const {
  return options_.eval_every > 0 && (step % options_.eval_every == 0 || step == options_.steps);
}

StateDict Trainer::saved_tensors() const {
  StateDict all = state_.model;
  for (std::size_t i = 0; i < best_.size(); ++i) all.emplace_back(kept_best_prefix + state_.model[i].first, best_[i]);
  return all;
}

void Trainer::keep_best(std::size_t step, double score) {
  if (best_.empty()) return;
  nlohmann::json& r = best_record_;
  r["validations"] = r["validations"].get<std::size_t>() + 1;
  r["last"] = score;
  if (r["score"].is_null() || score > r["score"].get<double>()) {
    for (std::size_t i = 0; i < best_.size(); ++i) best_[i].mutable_value() = state_.model[i].second.value();
    r["step"] = step, r["score"] = score, r["since"] = 0;
  } else {
    r["since"] = r["since"].get<std::size_t>() + 1;
  }
  if (stopped_early()) {
    r["stopped_at"] = step;
    fmt::print(stderr, "\nno better validation {} in {} validations (--patience {}): stopping at step {}\n",
               options_.keep_best_by, options_.patience, options_.patience, step);
  }
}

bool Trainer::stopped_early() const {
  return !best_.empty() && options_.patience > 0 && best_record_["since"].get<std::size_t>() >= options_.patience;
}

void Trainer::use_best() {
  const nlohmann::json& r = best_record_;
  if (best_.empty() || r["score"].is_null()) return;
  for (std::size_t i = 0; i < best_.size(); ++i) state_.model[i].second.mutable_value() = best_[i].value();
  fmt::print(
      "keeping the model of step {} (validation {} {:.4f}, the best of {} validations; the last one's: "
      "{:.4f}): the test and --save use it\n",
      r["step"].get<std::size_t>(), options_.keep_best_by, r["score"].get<double>(),
      r["validations"].get<std::size_t>(), r["last"].get<double>());
  if (state_.metrics) {
    nlohmann::json& m = *state_.metrics;
    m["kept_step"] = r["step"], m["kept_validation_" + options_.keep_best_by] = r["score"];
    if (r.contains("stopped_at")) m["stopped_early_at"] = r["stopped_at"];
  }
}

bool curve_point_due(std::size_t step, std::size_t steps) {
  return step == steps || step % std::max<std::size_t>(1, steps / 20) == 0;
}

void Trainer::finish() {
  bar_.finish();
  use_best();
  if (profile_)
    fmt::print(stderr, "profile of {} training steps (evaluations included):\n{}", losses_.size(),
               profile_->report().table());
}

TrainerOptions trainer_options(const CommonOptions& o, const Given& given, const ModelSettings& s, double clip_norm,
                               bool can_validate, bool own_data) {
  const std::size_t every = can_validate ? eval_every_used(o, given, s.steps, own_data) : 0;
  if (o.patience > 0 && every == 0)
    throw std::invalid_argument(
        can_validate
            ? fmt::format("--patience {} counts validations, and this run has none: give --eval-every N", o.patience)
            : fmt::format("--patience {}: there is no validation split to watch", o.patience));
  return {.steps = s.steps,
          .lr = s.lr,
          .schedule = o.schedule,
          .clip_norm = clip_norm,
          .eval_every = every,
          .keep_best_by = every > 0 && o.keep == "best" ? o.best_by : "",
          .patience = every > 0 ? o.patience : 0,
          .profile = o.profile,
          .run = o.run};
}

std::size_t eval_every_used(const CommonOptions& o, const Given& given, std::size_t steps, bool own_data) {
  if (given("--eval-every") || !own_data) return o.eval_every;
  return steps == 0 ? 0 : std::max<std::size_t>(1, steps / 10);
}

std::pair<std::string, std::string> eval_every_setting(const CommonOptions& o, const Given& given, std::size_t steps,
                                                       bool own_data) {
  const std::size_t every = eval_every_used(o, given, steps, own_data);
  return {"--eval-every", own_data && !given("--eval-every")
                              ? fmt::format("{} (a tenth of --steps, on your own data)", every)
                              : fmt::format("{}", every)};
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
