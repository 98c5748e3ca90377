// The examples' Trainer as a long run needs it: a run stopped after any step and resumed from its
// checkpoint continues bitwise (losses, weights, data position), a damaged or foreign checkpoint
// is refused naming the file, and a loss that is not finite stops at once naming the step.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/attograd.hpp>

#include "../support/temp_dir.hpp"
#include "checkpoint.hpp"
#include "training.hpp"

using namespace attograd;
using Catch::Matchers::Contains;

namespace {

struct Run {
  std::vector<double> losses;
  Array weight;
};

// `steps` steps of a small regression with dropout, from `resume` if given, checkpointing to
// `checkpoint` every 3 steps; stops (as a kill would) after step `stop_after`.
Run train(std::size_t steps, const std::string& checkpoint, const std::string& resume, std::size_t stop_after) {
  manual_seed(3);
  nn::Linear layer(4, 2);
  nn::Dropout dropout(0.3f);
  Generator batches(9);
  examples::ValidationCurve curve;
  nlohmann::json metrics = nlohmann::json::object();
  examples::TrainerOptions options{.steps = steps, .lr = 0.05};
  options.run = {.checkpoint = checkpoint, .resume = resume, .save_every = 3};
  examples::Trainer trainer(layer.parameters(), options);
  trainer.track({layer.state_dict(), &batches, &curve, &metrics, {{"examples.program", "test"}}});
  for (std::size_t step = trainer.first_step(); step <= trainer.steps(); ++step) {
    Tensor x = zeros({8, 4});
    for (float& v : x.mutable_value()) v = batches.normal();
    const Tensor d = layer.forward(dropout.forward(x)) - 1.0f;
    const Tensor loss = mean(d * d);
    trainer.step(loss, 8);
    curve.emplace_back(step, loss.item());
    trainer.end_step(step);
    if (step == stop_after) break;
  }
  return {trainer.losses(), layer.weight.value()};
}

}  // namespace

TEST_CASE("a run stopped after any step and resumed from its checkpoint is the run never stopped") {
  attograd::testing::TempDir dir("trainer_resume");
  const Run whole = train(12, "", "", 0);
  for (const std::size_t stop : {3u, 7u, 11u}) {
    CAPTURE(stop);
    const std::string ckpt = (dir.path / fmt::format("run{}.ckpt", stop)).string();
    train(12, ckpt, "", stop);  // checkpoints at 3, 6, 9: the last one at or before `stop`
    const Run resumed = train(12, ckpt, ckpt, 0);
    CHECK(resumed.losses == whole.losses);
    CHECK(resumed.weight == whole.weight);
  }
}

TEST_CASE("a damaged or foreign checkpoint is refused, naming the file and what is wrong") {
  attograd::testing::TempDir dir("trainer_damaged");
  nn::Linear layer(4, 2);
  optim::Adam adam(layer.parameters(), {});
  const std::string damaged = (dir.path / "damaged.ckpt").string(), foreign = (dir.path / "foreign.ckpt").string();
  optim::save_training_state(damaged, layer.state_dict(), adam, nullptr,
                             {{"examples.step", "2"},
                              {"examples.losses", "[1.0, oops"},
                              {"examples.curve", "[]"},
                              {"examples.metrics", "{}"},
                              {"examples.seconds", "1"},
                              {"examples.tokens", "4"},
                              {"examples.batches", ""}});
  optim::save_training_state(foreign, layer.state_dict(), adam);
  const std::string short_record = (dir.path / "short.ckpt").string();  // step 3 with 2 losses
  optim::save_training_state(short_record, layer.state_dict(), adam, nullptr,
                             {{"examples.step", "3"},
                              {"examples.losses", "[1.0, 0.5]"},
                              {"examples.curve", "[]"},
                              {"examples.metrics", "{}"},
                              {"examples.seconds", "1"},
                              {"examples.tokens", "4"},
                              {"examples.batches", ""}});
  auto resume = [&](const std::string& path) {
    examples::TrainerOptions options{.steps = 5};
    options.run.resume = path;
    examples::Trainer trainer(layer.parameters(), options);
    trainer.track({layer.state_dict(), nullptr, nullptr, nullptr, {}});
  };
  CHECK_THROWS_WITH(resume(damaged), Contains("--resume " + damaged + ": its record of the run is damaged"));
  CHECK_THROWS_WITH(resume(short_record),
                    Contains("--resume " + short_record + ": it holds 2 losses for step 3 of a 5-step run"));
  CHECK_THROWS_WITH(resume(foreign),
                    Contains("--resume " + foreign + ": not a checkpoint of a training run (no 'examples.step'"));
}

TEST_CASE("a loss that is not finite stops training at once, naming the step") {
  nn::Linear layer(2, 1);
  examples::Trainer trainer(layer.parameters(), {.steps = 3});
  trainer.step(sum(layer.forward(ones({1, 2}))), 1);
  const Tensor bad = sum(layer.forward(full({1, 2}, std::nanf(""))));
  CHECK_THROWS_WITH(trainer.step(bad, 1), Contains("the loss is nan at step 2: stopping"));
}

namespace {

struct KeptRun {
  std::vector<std::pair<std::size_t, Array>> validated;  // each validation's step and weights
  Array final_weight;
  std::size_t last_step = 0;
  nlohmann::json metrics;
};

// A scalar fitted to 1 for 10 steps, then pulled to -1: the validation score -|w - 1| peaks early.
// Validates every 2 steps, keeping the best by "score"; `stop_after` stops (as a kill) after that
// step, `resume` continues a checkpoint.
KeptRun keep_best_run(std::size_t patience, const std::string& checkpoint = "", const std::string& resume = "",
                      std::size_t stop_after = 0) {
  Tensor w(Array::from_shape({1}), true);
  w.mutable_value()(0) = -0.5f;
  nlohmann::json metrics = nlohmann::json::object();
  examples::TrainerOptions options{
      .steps = 30, .lr = 0.1, .eval_every = 2, .keep_best_by = "score", .patience = patience};
  options.run = {.checkpoint = checkpoint, .resume = resume, .save_every = 4};
  examples::Trainer trainer({w}, options);
  trainer.track({{{"w", w}}, nullptr, nullptr, &metrics, {{"examples.program", "test"}}});
  KeptRun run;
  for (std::size_t step = trainer.first_step(); step <= trainer.steps() && !trainer.stopped_early(); ++step) {
    const Tensor d = w - (step <= 10 ? 1.0f : -1.0f);
    trainer.step(sum(d * d), 1);
    if (trainer.validation_due(step)) {
      run.validated.emplace_back(step, w.value());
      trainer.keep_best(step, -std::abs(w.value()(0) - 1.0f));
    }
    trainer.end_step(step);
    run.last_step = step;
    if (step == stop_after) return run;
  }
  trainer.finish();
  run.final_weight = w.value(), run.metrics = metrics;
  return run;
}

}  // namespace

TEST_CASE("keep best: the run ends with the weights of its best validation, not its last step's") {
  const KeptRun run = keep_best_run(0);
  CHECK(run.last_step == 30);
  // The best validation is the one closest to 1: around step 10, when the pull turns to -1 (Adam's
  // momentum carries w on towards 1 for a few steps more).
  std::size_t best = 0;
  float closest = 1e9f;
  for (const auto& [step, weight] : run.validated)
    if (std::abs(weight(0) - 1.0f) < closest) closest = std::abs(weight(0) - 1.0f), best = step;
  CHECK(best >= 8);
  CHECK(best <= 16);
  const auto kept =
      std::find_if(run.validated.begin(), run.validated.end(), [&](const auto& v) { return v.first == best; });
  CHECK(run.final_weight == kept->second);
  CHECK(run.final_weight(0) > 0.5f);  // the last step's weight is near -1
  CHECK(run.metrics["kept_step"] == best);
  CHECK(run.metrics["kept_validation_score"].get<double>() == Approx(-closest));
  CHECK_FALSE(run.metrics.contains("stopped_early_at"));
}

TEST_CASE("keep best: --patience stops after that many validations without a better score") {
  const KeptRun all = keep_best_run(0), stopped = keep_best_run(3);
  const std::size_t best = all.metrics["kept_step"];
  CHECK(stopped.last_step == best + 3 * 2);  // three more validations, 2 steps apart
  CHECK(stopped.metrics["stopped_early_at"] == best + 6);
  CHECK(stopped.final_weight == all.final_weight);
}

TEST_CASE("keep best: a checkpoint keeps the best weights, so a resumed run ends with them too") {
  attograd::testing::TempDir dir("trainer_keep_best");
  const std::string ckpt = (dir.path / "run.ckpt").string();
  const KeptRun whole = keep_best_run(0);
  keep_best_run(0, ckpt, "", 17);  // killed after step 17: checkpoint of step 16, after the peak
  const KeptRun resumed = keep_best_run(0, ckpt, ckpt);
  CHECK(resumed.final_weight == whole.final_weight);
  CHECK(resumed.metrics["kept_step"] == whole.metrics["kept_step"]);
  // --load of such a checkpoint reads the model of its step, without the kept copy.
  const nn::Checkpoint loaded = examples::load_model_file(ckpt);
  REQUIRE(loaded.state_dict.size() == 1);
  CHECK(loaded.state_dict[0].first == "w");
}
