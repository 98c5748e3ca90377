// The examples' Trainer as a long run needs it: a run stopped after any step and resumed from its
// checkpoint continues bitwise (losses, weights, data position), a damaged or foreign checkpoint
// is refused naming the file, and a loss that is not finite stops at once naming the step.
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/attograd.hpp>

#include "../support/temp_dir.hpp"
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
