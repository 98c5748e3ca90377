// Learning-rate schedules: lr sequences against PyTorch's schedulers (fixtures) and against
// their closed forms, save/restore of the step count, and their error messages.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <attograd/optim/optim.hpp>

#include "optim_problem.hpp"

using namespace attograd;
using namespace attograd::optim;
using attograd::testing::optim_fixtures;
using Catch::Contains;

namespace {

// Two groups with base lrs 0.1 and 0.01, as in make_optim_fixtures.py's schedule fixtures.
struct TwoGroups {
  Tensor p = zeros({1}, true), q = zeros({1}, true);
  SGD sgd{std::vector<ParamGroup>{{{p}, 0.1, {}}, {{q}, 0.01, {}}}};
};

// Runs 30 lrs (construction, then 29 steps) and compares with the fixture "sched.<name>.lr".
void check_sequence(const std::string& name, LRScheduler& schedule, Optimizer& opt) {
  INFO("schedule " << name);
  const Array& expected = optim_fixtures().at("sched." + name + ".lr");  // (30, 2)
  for (std::size_t k = 0; k < 30; ++k) {
    INFO("step " << k);
    if (k > 0) schedule.step();
    CHECK(schedule.last_step() == static_cast<int>(k));
    for (std::size_t g = 0; g < 2; ++g) {
      CHECK(schedule.get_last_lr()[g] == Approx(expected(k, g)).epsilon(1e-6));
      CHECK(*opt.param_groups()[g].lr == schedule.get_last_lr()[g]);
    }
  }
}

}  // namespace

TEST_CASE("StepLR, ExponentialLR and LambdaLR match PyTorch's") {
  {
    TwoGroups t;
    StepLR schedule(t.sgd, 3, 0.5);
    check_sequence("steplr", schedule, t.sgd);
  }
  {
    TwoGroups t;
    ExponentialLR schedule(t.sgd, 0.9);
    check_sequence("exponentiallr", schedule, t.sgd);
  }
  {
    TwoGroups t;
    LambdaLR schedule(t.sgd, [](int s) { return std::pow(0.95, s) + 0.01 * s; });
    check_sequence("lambdalr", schedule, t.sgd);
  }
}

TEST_CASE("CosineWarmupLR and NoamLR match PyTorch LambdaLRs with the same formulas") {
  {
    TwoGroups t;
    CosineWarmupLR schedule(t.sgd, 5, 20, 0.001);
    check_sequence("cosine", schedule, t.sgd);
  }
  {
    TwoGroups t;
    NoamLR schedule(t.sgd, 512, 10);
    check_sequence("noam", schedule, t.sgd);
  }
}

TEST_CASE("CosineWarmupLR's closed form: warmup, cosine, floor") {
  TwoGroups t;
  CosineWarmupLR schedule(t.sgd, 4, 12, 0.002);
  std::vector<double> lrs{schedule.get_last_lr()[0]};
  for (int s = 1; s <= 15; ++s) {
    schedule.step();
    lrs.push_back(schedule.get_last_lr()[0]);
  }
  CHECK(lrs[0] == Approx(0.1 * 1 / 4));  // never 0
  CHECK(lrs[3] == Approx(0.1));          // end of the warmup
  CHECK(lrs[4] == Approx(0.1));          // start of the cosine
  CHECK(lrs[8] == Approx(0.002 + 0.098 * 0.5 * (1 + std::cos(std::numbers::pi * 0.5))));
  CHECK(lrs[12] == Approx(0.002));
  CHECK(lrs[15] == 0.002);
  CHECK(schedule.get_last_lr()[1] == 0.002);  // min_lr is absolute, for every group
}

TEST_CASE("NoamLR's closed form peaks at the warmup step") {
  TwoGroups t;
  NoamLR schedule(t.sgd, 64, 4, 2.0);
  // n = step + 1; lr = 2 · 64^−0.5 · min(n^−0.5, n · 4^−1.5)
  CHECK(schedule.get_last_lr()[0] == Approx(2.0 / 8 * (1.0 / 8)));
  for (int k = 0; k < 3; ++k) schedule.step();
  CHECK(schedule.get_last_lr()[0] == Approx(2.0 / 8 * 0.5));  // n = 4: both terms 1/2
  for (int k = 0; k < 12; ++k) schedule.step();
  CHECK(schedule.get_last_lr()[0] == Approx(2.0 / 8 * 0.25));  // n = 16
}

TEST_CASE("a schedule's state is its step count") {
  TwoGroups t;
  ExponentialLR schedule(t.sgd, 0.5);
  for (int k = 0; k < 7; ++k) schedule.step();
  const NamedArrays state = schedule.state_dict();
  REQUIRE(state.size() == 1);
  CHECK(state[0].first == "last_step");
  CHECK(state[0].second() == 7.0f);

  TwoGroups fresh;
  ExponentialLR resumed(fresh.sgd, 0.5);
  resumed.load_state_dict(state);
  CHECK(resumed.last_step() == 7);
  CHECK(*fresh.sgd.param_groups()[0].lr == 0.1 * std::pow(0.5, 7));
  CHECK(resumed.get_last_lr() == schedule.get_last_lr());

  CHECK_THROWS_WITH(resumed.load_state_dict({}), Contains("expects exactly one entry 'last_step', got 0 entries"));
  CHECK_THROWS_WITH(resumed.load_state_dict({{"step", Array(1.0f)}}), Contains("got 'step'"));
  CHECK_THROWS_WITH(resumed.load_state_dict({{"last_step", Array(-1.0f)}}),
                    Contains("'last_step' must be a 0-d whole number in [0, 2^24], got shape () value -1"));
  CHECK(resumed.last_step() == 7);
}

TEST_CASE("schedules reject bad settings") {
  TwoGroups t;
  CHECK_THROWS_WITH(StepLR(t.sgd, 0), "StepLR: step_size must be > 0, got 0");
  CHECK_THROWS_WITH(StepLR(t.sgd, 2, -0.5), "StepLR: gamma must be finite and > 0, got -0.5");
  CHECK_THROWS_WITH(ExponentialLR(t.sgd, 0), "ExponentialLR: gamma must be finite and > 0, got 0");
  CHECK_THROWS_WITH(LambdaLR(t.sgd, nullptr), "LambdaLR: the multiplier is an empty std::function");
  CHECK_THROWS_WITH(CosineWarmupLR(t.sgd, -1, 10), "CosineWarmupLR: warmup_steps must be >= 0, got -1");
  CHECK_THROWS_WITH(CosineWarmupLR(t.sgd, 10, 10),
                    "CosineWarmupLR: total_steps must be > warmup_steps, got total_steps 10 and warmup_steps 10");
  CHECK_THROWS_WITH(CosineWarmupLR(t.sgd, 0, 10, -0.1), "CosineWarmupLR: min_lr must be finite and >= 0, got -0.1");
  CHECK_THROWS_WITH(NoamLR(t.sgd, 0, 10), "NoamLR: d_model must be > 0, got 0");
  CHECK_THROWS_WITH(NoamLR(t.sgd, 512, 0), "NoamLR: warmup must be > 0, got 0");
  CHECK_THROWS_WITH(NoamLR(t.sgd, 512, 10, 0.0), "NoamLR: factor must be > 0, got 0");
  // A failed construction leaves the optimizer's lrs alone.
  CHECK(*t.sgd.param_groups()[0].lr == 0.1);
}
