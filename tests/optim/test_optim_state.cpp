// Optimizer state: saving and restoring it resumes training bit for bit; load_state_dict
// rejects bad dicts with clear messages and changes nothing; parameters without a gradient
// are skipped; zero_grad and param_groups behave as in PyTorch.
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <attograd/optim/optim.hpp>

#include "../support/gradcheck.hpp"
#include "optim_problem.hpp"

using namespace attograd;
using namespace attograd::optim;
using attograd::testing::OptimProblem;
using Catch::Contains;

namespace {

using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(Tensor W, Tensor b)>;

// Every optimizer with every kind of state it can keep.
const std::vector<std::pair<std::string, MakeOptimizer>>& all_optimizers() {
  static const std::vector<std::pair<std::string, MakeOptimizer>> list = {
      {"SGD nesterov",
       [](Tensor W, Tensor b) {
         return std::make_unique<SGD>(std::vector{W, b}, SGDOptions{.lr = 0.01, .momentum = 0.9, .nesterov = true});
       }},
      {"SGD dampening",
       [](Tensor W, Tensor b) {
         return std::make_unique<SGD>(std::vector{W, b}, SGDOptions{.lr = 0.01, .momentum = 0.9, .dampening = 0.3});
       }},
      {"Adam amsgrad",
       [](Tensor W, Tensor b) {
         return std::make_unique<Adam>(std::vector{W, b},
                                       AdamOptions{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true});
       }},
      {"AdamW",
       [](Tensor W, Tensor b) {
         return std::make_unique<AdamW>(std::vector{W, b}, AdamWOptions{.lr = 0.01});
       }},
      {"RMSprop centered momentum",
       [](Tensor W, Tensor b) {
         return std::make_unique<RMSprop>(std::vector{W, b},
                                          RMSpropOptions{.lr = 0.01, .momentum = 0.5, .centered = true});
       }},
      {"Adagrad lr_decay",
       [](Tensor W, Tensor b) {
         return std::make_unique<Adagrad>(std::vector{W, b}, AdagradOptions{.lr = 0.1, .lr_decay = 0.05});
       }},
  };
  return list;
}

// Through the bytes of a safetensors file and back, as a checkpoint would go.
NamedArrays through_file(const NamedArrays& arrays) {
  return parse_safetensors(serialize_safetensors(arrays, {}), "checkpoint").tensors;
}

bool same_bits(const Array& a, const Array& b) { return testing::allclose(a, b, 0.0f, 0.0f); }

}  // namespace

TEST_CASE("state_dict round trip: 10 steps, save, fresh optimizer and schedule, 10 steps == 20 steps") {
  for (const auto& [name, make] : all_optimizers()) {
    INFO(name);
    OptimProblem straight;
    auto opt = make(straight.W, straight.b);
    CosineWarmupLR schedule(*opt, 3, 15, 1e-4);
    double lr_after_10 = 0;
    for (int k = 1; k <= 20; ++k) {
      straight.compute_gradients();
      opt->step();
      schedule.step();
      if (k == 10) lr_after_10 = *opt->param_groups()[0].lr;
    }

    OptimProblem resumed;
    NamedArrays opt_state, schedule_state, params;
    {
      auto first = make(resumed.W, resumed.b);
      CosineWarmupLR first_schedule(*first, 3, 15, 1e-4);
      for (int k = 0; k < 10; ++k) {
        resumed.compute_gradients();
        first->step();
        first_schedule.step();
      }
      opt_state = through_file(first->state_dict());
      schedule_state = through_file(first_schedule.state_dict());
      params = through_file({{"W", resumed.W.value()}, {"b", resumed.b.value()}});
    }
    OptimProblem restarted;  // fresh parameters, loaded from the "checkpoint"
    restarted.W.mutable_value() = params[0].second;
    restarted.b.mutable_value() = params[1].second;
    auto second = make(restarted.W, restarted.b);
    CosineWarmupLR second_schedule(*second, 3, 15, 1e-4);
    second->load_state_dict(opt_state);
    second_schedule.load_state_dict(schedule_state);
    CHECK(second_schedule.last_step() == 10);
    CHECK(*second->param_groups()[0].lr == lr_after_10);
    for (int k = 0; k < 10; ++k) {
      restarted.compute_gradients();
      second->step();
      second_schedule.step();
    }
    CHECK(same_bits(restarted.W.value(), straight.W.value()));
    CHECK(same_bits(restarted.b.value(), straight.b.value()));
    CHECK(second->state_dict().size() == opt->state_dict().size());
  }
}

TEST_CASE("state_dict names entries like PyTorch's optimizer state dict") {
  OptimProblem problem;
  Tensor unused = zeros({2}, true);  // never gets a gradient: skipped, no state
  Adam adam(std::vector{problem.W, unused, problem.b}, AdamOptions{.amsgrad = true});
  CHECK(adam.state_dict().empty());
  for (int k = 0; k < 3; ++k) {
    problem.compute_gradients();
    adam.step();
  }
  const NamedArrays state = adam.state_dict();
  std::vector<std::string> names;
  for (const auto& [name, array] : state) names.push_back(name);
  CHECK(names == std::vector<std::string>{"state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
                                          "state.0.step", "state.2.exp_avg", "state.2.exp_avg_sq",
                                          "state.2.max_exp_avg_sq", "state.2.step"});
  CHECK(state[3].second.dimension() == 0);
  CHECK(state[3].second() == 3.0f);
  CHECK(state[4].second.shape() == Shape{4});
  CHECK(same_bits(unused.value(), zeros({2}).value()));

  SGD plain(std::vector{problem.W}, SGDOptions{.lr = 0.1});  // no momentum: no state at all
  problem.compute_gradients();
  plain.step();
  CHECK(plain.state_dict().empty());
}

TEST_CASE("parameters without a gradient are skipped by every optimizer") {
  for (const auto& [name, make] : all_optimizers()) {
    INFO(name);
    OptimProblem problem;
    auto opt = make(problem.W, problem.b);
    problem.compute_gradients();
    problem.b.zero_grad();
    const Array b_before = problem.b.value();
    const Array W_before = problem.W.value();
    opt->step();
    CHECK(same_bits(problem.b.value(), b_before));
    CHECK_FALSE(same_bits(problem.W.value(), W_before));
    for (const auto& [entry, array] : opt->state_dict()) CHECK(entry.rfind("state.0.", 0) == 0);
  }
}

TEST_CASE("zero_grad forgets every gradient, param_groups hold the lr a step uses") {
  OptimProblem problem;
  SGD sgd(std::vector<ParamGroup>{{{problem.W}, 0.5, {}}, {{problem.b}, {}, {}}}, SGDOptions{.lr = 0.1});
  REQUIRE(sgd.param_groups().size() == 2);
  CHECK(*sgd.param_groups()[0].lr == 0.5);
  CHECK(*sgd.param_groups()[1].lr == 0.1);  // filled in from the options
  CHECK(*sgd.param_groups()[1].weight_decay == 0.0);
  CHECK(sgd.parameters().size() == 2);

  problem.compute_gradients();
  sgd.zero_grad();
  CHECK_FALSE(problem.W.has_grad());
  CHECK_FALSE(problem.b.has_grad());

  // p ← p − lr · g with the lr set in the group.
  problem.compute_gradients();
  sgd.param_groups()[1].lr = 0.25;
  const Array b = problem.b.value(), g = problem.b.grad();
  sgd.step();
  for (std::size_t i = 0; i < b.size(); ++i) CHECK(problem.b.value()(i) == b(i) + -0.25f * g(i));
}

TEST_CASE("load_state_dict rejects bad dicts with clear messages and changes nothing") {
  OptimProblem problem;
  Adam adam(std::vector{problem.W, problem.b});
  problem.compute_gradients();
  adam.step();
  const NamedArrays good = adam.state_dict();
  auto with = [&](const std::string& name, Array value) {
    NamedArrays state = good;
    state.emplace_back(name, std::move(value));
    return state;
  };
  auto without = [&](const std::string& name) {
    NamedArrays state;
    for (const auto& entry : good)
      if (entry.first != name) state.push_back(entry);
    return state;
  };
  auto replaced = [&](const std::string& name, Array value) {
    NamedArrays state = without(name);
    state.emplace_back(name, std::move(value));
    return state;
  };

  REQUIRE_THROWS_WITH(adam.load_state_dict(with("exp_avg", zeros({4}).value())),
                      Contains("Adam: load_state_dict: 'exp_avg' is not of the form state.<parameter index>.<entry>"));
  REQUIRE_THROWS_WITH(adam.load_state_dict(with("state.x.exp_avg", zeros({4}).value())),
                      Contains("is not of the form"));
  REQUIRE_THROWS_WITH(adam.load_state_dict(with("state.2.exp_avg", zeros({4}).value())),
                      Contains("'state.2.exp_avg' refers to parameter 2, but the optimizer has 2 parameters"));
  REQUIRE_THROWS_WITH(adam.load_state_dict(replaced("state.1.exp_avg", zeros({3, 4}).value())),
                      Contains("'state.1.exp_avg' has shape (3, 4) but parameter 1 has shape (4,)"));
  REQUIRE_THROWS_WITH(adam.load_state_dict(with("state.1.momentum_buffer", zeros({4}).value())),
                      Contains("'state.1.momentum_buffer': this optimizer keeps no entry 'momentum_buffer' "
                               "(it keeps: exp_avg, exp_avg_sq, step)"));
  REQUIRE_THROWS_WITH(adam.load_state_dict(with("state.1.exp_avg", zeros({4}).value())),
                      Contains("'state.1.exp_avg' appears twice"));
  REQUIRE_THROWS_WITH(adam.load_state_dict(without("state.0.exp_avg_sq")), Contains("'state.0.exp_avg_sq' is missing"));
  REQUIRE_THROWS_WITH(adam.load_state_dict(replaced("state.0.step", Array(1.5f))),
                      Contains("'state.0.step' must be a 0-d whole number >= 0, got shape () value 1.5"));
  REQUIRE_THROWS_WITH(adam.load_state_dict(replaced("state.0.step", zeros({2}).value())),
                      Contains("'state.0.step' must be a 0-d whole number >= 0, got shape (2,)"));

  // Adam's state is not SGD's.
  SGD sgd(std::vector{problem.W, problem.b}, SGDOptions{.momentum = 0.9});
  REQUIRE_THROWS_WITH(sgd.load_state_dict(good), Contains("SGD: load_state_dict: 'state.0.exp_avg': this optimizer "
                                                          "keeps no entry 'exp_avg' (it keeps: momentum_buffer)"));

  // After all those failures the state is the one saved.
  const NamedArrays after = adam.state_dict();
  REQUIRE(after.size() == good.size());
  for (std::size_t i = 0; i < good.size(); ++i) {
    CHECK(after[i].first == good[i].first);
    CHECK(same_bits(after[i].second, good[i].second));
  }
  // An empty dict is valid: it forgets all state.
  adam.load_state_dict({});
  CHECK(adam.state_dict().empty());
}
