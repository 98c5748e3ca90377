// Bad optimizer settings throw std::invalid_argument naming the optimizer, the setting and the
// value it got.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include <attograd/core/ops/creation.hpp>
#include <attograd/optim/optim.hpp>

using namespace attograd;
using namespace attograd::optim;
using Catch::Contains;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
std::vector<Tensor> params() { return {zeros({3, 4}, true), zeros({4}, true)}; }
}  // namespace

TEST_CASE("learning rates and weight decay must be valid, for the defaults and for every group") {
  CHECK_THROWS_AS(SGD(params(), SGDOptions{.lr = 0}), std::invalid_argument);
  CHECK_THROWS_WITH(SGD(params(), SGDOptions{.lr = 0}), "SGD: lr must be > 0, got 0");
  CHECK_THROWS_WITH(Adam(params(), AdamOptions{.lr = -0.001}), "Adam: lr must be > 0, got -0.001");
  CHECK_THROWS_WITH(AdamW(params(), AdamWOptions{.lr = kNaN}), "AdamW: lr must be > 0, got nan");
  CHECK_THROWS_WITH(RMSprop(params(), RMSpropOptions{.lr = -1}), "RMSprop: lr must be > 0, got -1");
  CHECK_THROWS_WITH(Adagrad(params(), AdagradOptions{.lr = 0}), "Adagrad: lr must be > 0, got 0");
  CHECK_THROWS_WITH(Adam(params(), AdamOptions{.weight_decay = -0.1}), "Adam: weight_decay must be >= 0, got -0.1");
  CHECK_THROWS_WITH(SGD(params(), SGDOptions{.weight_decay = kNaN}), "SGD: weight_decay must be >= 0, got nan");

  const Tensor W = zeros({3, 4}, true), b = zeros({4}, true);
  CHECK_THROWS_WITH(Adam(std::vector<ParamGroup>{{{W}, {}, {}}, {{b}, 0.0, {}}}),
                    "Adam: lr of param group 1 must be > 0, got 0");
  CHECK_THROWS_WITH(SGD(std::vector<ParamGroup>{{{W}, {}, -1.0}, {{b}, {}, {}}}),
                    "SGD: weight_decay of param group 0 must be >= 0, got -1");
}

TEST_CASE("optimizer-specific settings are checked") {
  CHECK_THROWS_WITH(Adam(params(), AdamOptions{.beta1 = 1.0}), "Adam: beta1 must be in [0, 1), got 1");
  CHECK_THROWS_WITH(Adam(params(), AdamOptions{.beta2 = -0.5}), "Adam: beta2 must be in [0, 1), got -0.5");
  CHECK_THROWS_WITH(AdamW(params(), AdamWOptions{.beta1 = kNaN}), "AdamW: beta1 must be in [0, 1), got nan");
  CHECK_THROWS_WITH(AdamW(params(), AdamWOptions{.beta2 = 1.5}), "AdamW: beta2 must be in [0, 1), got 1.5");
  CHECK_THROWS_WITH(Adam(params(), AdamOptions{.eps = -1e-8}), "Adam: eps must be >= 0, got -1e-08");
  CHECK_THROWS_WITH(AdamW(params(), AdamWOptions{.eps = -1}), "AdamW: eps must be >= 0, got -1");
  CHECK_THROWS_WITH(RMSprop(params(), RMSpropOptions{.eps = -1}), "RMSprop: eps must be >= 0, got -1");
  CHECK_THROWS_WITH(Adagrad(params(), AdagradOptions{.eps = -1}), "Adagrad: eps must be >= 0, got -1");

  CHECK_THROWS_WITH(SGD(params(), SGDOptions{.momentum = -0.9}), "SGD: momentum must be >= 0, got -0.9");
  CHECK_THROWS_WITH(SGD(params(), SGDOptions{.momentum = 0.9, .dampening = 2}),
                    "SGD: dampening must be in [0, 1], got 2");
  CHECK_THROWS_WITH(SGD(params(), SGDOptions{.nesterov = true}), "SGD: momentum must be > 0 with nesterov, got 0");
  CHECK_THROWS_WITH(SGD(params(), SGDOptions{.momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                    "SGD: dampening must be 0 with nesterov, got 0.1");

  CHECK_THROWS_WITH(RMSprop(params(), RMSpropOptions{.alpha = 1.1}), "RMSprop: alpha must be in [0, 1], got 1.1");
  CHECK_THROWS_WITH(RMSprop(params(), RMSpropOptions{.momentum = -1}), "RMSprop: momentum must be >= 0, got -1");

  CHECK_THROWS_WITH(Adagrad(params(), AdagradOptions{.lr_decay = -0.1}), "Adagrad: lr_decay must be >= 0, got -0.1");
  CHECK_THROWS_WITH(Adagrad(params(), AdagradOptions{.initial_accumulator_value = -1}),
                    "Adagrad: initial_accumulator_value must be >= 0, got -1");
}

TEST_CASE("parameter lists are checked: empty, undefined, no grad, repeated") {
  CHECK_THROWS_WITH(SGD(std::vector<Tensor>{}), "SGD: got an empty parameter list");
  CHECK_THROWS_WITH(Adam(std::vector<ParamGroup>{{{}, 0.1, {}}}), "Adam: got an empty parameter list");
  CHECK_THROWS_WITH(Adam(std::vector<Tensor>{zeros({4}, true), Tensor()}),
                    "Adam: parameter 1 of param group 0 is an undefined tensor");
  CHECK_THROWS_WITH(RMSprop(std::vector<Tensor>{zeros({4}, true), zeros({2, 3})}),
                    "RMSprop: parameter 1 of param group 0 (shape (2, 3)) does not require grad");

  const Tensor W = zeros({3, 4}, true), b = zeros({4}, true);
  CHECK_THROWS_WITH(Adagrad(std::vector<ParamGroup>{{{W, b}, {}, {}}, {{W}, 0.1, {}}}),
                    "Adagrad: the same tensor (shape (3, 4)) is parameter 0 of param group 0 and parameter 0 of "
                    "param group 1; a parameter may appear only once");
  CHECK_THROWS_WITH(AdamW(std::vector<Tensor>{W, b, b}), Contains("AdamW: the same tensor (shape (4,)) is parameter 1 "
                                                                  "of param group 0 and parameter 2 of param group 0"));
  // An empty group beside a non-empty one is fine, as in PyTorch.
  CHECK_NOTHROW(SGD(std::vector<ParamGroup>{{{W}, {}, {}}, {{}, {}, {}}}));
}
