// Every optimizer (and optimizers driven by schedules) against PyTorch: 20 steps on the fixed
// problem of optim_problem.hpp, comparing W and b after every step with the fixtures written
// by tests/golden/make_optim_fixtures.py. The configurations here mirror that script's.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <attograd/optim/optim.hpp>

#include "../support/gradcheck.hpp"
#include "optim_problem.hpp"

using namespace attograd;
using namespace attograd::optim;
using attograd::testing::optim_fixtures;
using attograd::testing::OptimProblem;

namespace {

constexpr int kSteps = 20;
// Agreement with PyTorch: 1e-6 relative. Entries near zero also get an absolute 2e-7, two
// float32 ulps at 1 (the parameters' scale): after 20 steps both sides have rounded
// differently (gradients summed in another order, FMA in PyTorch's vector loops) by about that.
constexpr float kRtol = 1e-6f;
constexpr float kAtol = 2e-7f;

using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(Tensor W, Tensor b)>;
using MakeSchedule = std::function<std::unique_ptr<LRScheduler>(Optimizer&)>;

// Largest |a − b| / (atol / rtol + |b|): at most rtol exactly when allclose(a, b, rtol, atol).
double relative_error(const Array& a, const Array& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(a.data()[i]) - b.data()[i]) /
                                (kAtol / kRtol + std::abs(static_cast<double>(b.data()[i]))));
  return worst;
}

// Trains `name` for 20 steps and checks every step against PyTorch's parameters and lrs.
void check_against_pytorch(const std::string& name, const MakeOptimizer& make_optimizer,
                           const MakeSchedule& make_schedule = nullptr) {
  INFO("configuration " << name);
  const SafetensorsContent& fx = optim_fixtures();
  OptimProblem problem;
  REQUIRE(testing::allclose(problem.W.value(), fx.at(name + ".W.0"), 0, 0));
  std::unique_ptr<Optimizer> optimizer = make_optimizer(problem.W, problem.b);
  std::unique_ptr<LRScheduler> schedule = make_schedule ? make_schedule(*optimizer) : nullptr;

  double worst = 0;
  for (int k = 1; k <= kSteps; ++k) {
    INFO("after step " << k);
    problem.compute_gradients();
    optimizer->step();
    if (schedule) {
      schedule->step();
      const Array& lrs = fx.at(name + ".lr");  // (21, groups)
      for (std::size_t g = 0; g < schedule->get_last_lr().size(); ++g)
        CHECK(schedule->get_last_lr()[g] == Approx(lrs(k, g)).epsilon(1e-6));
    }
    const Array& W = fx.at(fmt::format("{}.W.{}", name, k));
    const Array& b = fx.at(fmt::format("{}.b.{}", name, k));
    CHECK(testing::allclose(problem.W.value(), W, kRtol, kAtol));
    CHECK(testing::allclose(problem.b.value(), b, kRtol, kAtol));
    worst = std::max({worst, relative_error(problem.W.value(), W), relative_error(problem.b.value(), b)});
  }
  // Shown with `test_optim -s`: how close the 20 steps came to PyTorch.
  UNSCOPED_INFO(name << ": largest relative difference from PyTorch over 20 steps " << worst);
  CHECK(worst <= kRtol);
}

// Two groups: W with its own options, b with the defaults (or its own).
std::vector<ParamGroup> groups(Tensor W, std::optional<double> lr_W, std::optional<double> wd_W, Tensor b,
                               std::optional<double> lr_b = {}, std::optional<double> wd_b = {}) {
  return {ParamGroup{{std::move(W)}, lr_W, wd_W}, ParamGroup{{std::move(b)}, lr_b, wd_b}};
}

}  // namespace

TEST_CASE("SGD matches PyTorch: plain, weight decay, momentum, dampening, nesterov, groups") {
  check_against_pytorch("sgd", [](Tensor W, Tensor b) {
    return std::make_unique<SGD>(std::vector{W, b}, SGDOptions{.lr = 0.01});
  });
  check_against_pytorch("sgd_wd", [](Tensor W, Tensor b) {
    return std::make_unique<SGD>(std::vector{W, b}, SGDOptions{.lr = 0.01, .weight_decay = 0.1});
  });
  check_against_pytorch("sgd_momentum", [](Tensor W, Tensor b) {
    return std::make_unique<SGD>(std::vector{W, b}, SGDOptions{.lr = 0.01, .momentum = 0.9});
  });
  check_against_pytorch("sgd_dampening", [](Tensor W, Tensor b) {
    return std::make_unique<SGD>(std::vector{W, b},
                                 SGDOptions{.lr = 0.01, .momentum = 0.9, .dampening = 0.5, .weight_decay = 0.05});
  });
  check_against_pytorch("sgd_nesterov", [](Tensor W, Tensor b) {
    return std::make_unique<SGD>(std::vector{W, b},
                                 SGDOptions{.lr = 0.01, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
  });
  check_against_pytorch("sgd_groups", [](Tensor W, Tensor b) {
    return std::make_unique<SGD>(groups(W, 0.02, 0.1, b), SGDOptions{.lr = 0.005, .momentum = 0.8});
  });
}

TEST_CASE("Adam matches PyTorch: plain, L2 weight decay with betas and eps, amsgrad, groups") {
  check_against_pytorch("adam", [](Tensor W, Tensor b) {
    return std::make_unique<Adam>(std::vector{W, b}, AdamOptions{.lr = 0.01});
  });
  check_against_pytorch("adam_wd", [](Tensor W, Tensor b) {
    return std::make_unique<Adam>(
        std::vector{W, b}, AdamOptions{.lr = 0.01, .beta1 = 0.8, .beta2 = 0.95, .eps = 1e-6, .weight_decay = 0.1});
  });
  check_against_pytorch("adam_amsgrad", [](Tensor W, Tensor b) {
    return std::make_unique<Adam>(std::vector{W, b}, AdamOptions{.lr = 0.01, .weight_decay = 0.01, .amsgrad = true});
  });
  check_against_pytorch("adam_groups", [](Tensor W, Tensor b) {
    return std::make_unique<Adam>(groups(W, 0.03, 0.1, b), AdamOptions{.lr = 0.01});
  });
}

TEST_CASE("AdamW matches PyTorch: decoupled decay, amsgrad, groups") {
  check_against_pytorch("adamw", [](Tensor W, Tensor b) {
    return std::make_unique<AdamW>(std::vector{W, b}, AdamWOptions{.lr = 0.01, .weight_decay = 0.1});
  });
  check_against_pytorch("adamw_amsgrad", [](Tensor W, Tensor b) {
    return std::make_unique<AdamW>(
        std::vector{W, b},
        AdamWOptions{.lr = 0.01, .beta1 = 0.85, .beta2 = 0.99, .weight_decay = 0.05, .amsgrad = true});
  });
  check_against_pytorch("adamw_groups", [](Tensor W, Tensor b) {
    return std::make_unique<AdamW>(groups(W, {}, {}, b, 0.002, 0.0), AdamWOptions{.lr = 0.01, .weight_decay = 0.2});
  });
}

TEST_CASE("RMSprop matches PyTorch: plain, momentum with weight decay, centered, groups") {
  check_against_pytorch("rmsprop", [](Tensor W, Tensor b) {
    return std::make_unique<RMSprop>(std::vector{W, b}, RMSpropOptions{.lr = 0.01});
  });
  check_against_pytorch("rmsprop_momentum", [](Tensor W, Tensor b) {
    return std::make_unique<RMSprop>(std::vector{W, b},
                                     RMSpropOptions{.lr = 0.01, .alpha = 0.9, .weight_decay = 0.1, .momentum = 0.9});
  });
  check_against_pytorch("rmsprop_centered", [](Tensor W, Tensor b) {
    return std::make_unique<RMSprop>(std::vector{W, b},
                                     RMSpropOptions{.lr = 0.01, .eps = 1e-6, .momentum = 0.5, .centered = true});
  });
  check_against_pytorch("rmsprop_groups", [](Tensor W, Tensor b) {
    return std::make_unique<RMSprop>(groups(W, {}, 0.1, b, 0.003), RMSpropOptions{.lr = 0.01, .centered = true});
  });
}

TEST_CASE("Adagrad matches PyTorch: plain, lr decay with weight decay and accumulator, groups") {
  check_against_pytorch("adagrad", [](Tensor W, Tensor b) {
    return std::make_unique<Adagrad>(std::vector{W, b}, AdagradOptions{.lr = 0.1});
  });
  check_against_pytorch("adagrad_full", [](Tensor W, Tensor b) {
    return std::make_unique<Adagrad>(
        std::vector{W, b},
        AdagradOptions{
            .lr = 0.1, .lr_decay = 0.01, .weight_decay = 0.1, .initial_accumulator_value = 0.1, .eps = 1e-8});
  });
  check_against_pytorch("adagrad_groups", [](Tensor W, Tensor b) {
    return std::make_unique<Adagrad>(groups(W, 0.05, {}, b, {}, 0.2), AdagradOptions{.lr = 0.1});
  });
}

TEST_CASE("optimizers driven by schedules match PyTorch, lrs and parameters") {
  check_against_pytorch(
      "sgd_steplr",
      [](Tensor W, Tensor b) {
        return std::make_unique<SGD>(std::vector{W, b}, SGDOptions{.lr = 0.02, .momentum = 0.9});
      },
      [](Optimizer& opt) { return std::make_unique<StepLR>(opt, 5, 0.5); });
  check_against_pytorch(
      "adam_exponentiallr",
      [](Tensor W, Tensor b) {
        return std::make_unique<Adam>(std::vector{W, b}, AdamOptions{.lr = 0.02});
      },
      [](Optimizer& opt) { return std::make_unique<ExponentialLR>(opt, 0.9); });
  check_against_pytorch(
      "adamw_cosine",
      [](Tensor W, Tensor b) { return std::make_unique<AdamW>(groups(W, {}, {}, b, 0.01), AdamWOptions{.lr = 0.05}); },
      [](Optimizer& opt) { return std::make_unique<CosineWarmupLR>(opt, 4, 15, 0.001); });
  check_against_pytorch(
      "adam_noam",
      [](Tensor W, Tensor b) {
        return std::make_unique<Adam>(std::vector{W, b}, AdamOptions{.lr = 1.0, .beta2 = 0.98, .eps = 1e-9});
      },
      [](Optimizer& opt) { return std::make_unique<NoamLR>(opt, 8, 5, 2.0); });
  check_against_pytorch(
      "sgd_lambdalr",
      [](Tensor W, Tensor b) {
        return std::make_unique<SGD>(std::vector{W, b}, SGDOptions{.lr = 0.02});
      },
      [](Optimizer& opt) { return std::make_unique<LambdaLR>(opt, [](int s) { return 1.0 / (1.0 + 0.5 * s); }); });
}
