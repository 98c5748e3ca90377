// The small fixed problem every optimizer test trains on, shared with
// tests/golden/make_optim_fixtures.py: W (3, 4), b (4,), x (5, 3), y (5, 4) and
// loss = sum((x W + b − y)²). The starting values and PyTorch's results come from
// tests/golden/data/optim.safetensors.
#pragma once

#include <string>

#include <attograd/core/core.hpp>

namespace attograd::testing {

inline const SafetensorsContent& optim_fixtures() {
  static const SafetensorsContent content =
      load_safetensors(std::string(ATTOGRAD_TEST_DATA_DIR) + "/golden/data/optim.safetensors");
  return content;
}

struct OptimProblem {
  Tensor x = Tensor(optim_fixtures().at("x"));        // (5, 3)
  Tensor y = Tensor(optim_fixtures().at("y"));        // (5, 4)
  Tensor W = Tensor(optim_fixtures().at("W"), true);  // (3, 4)
  Tensor b = Tensor(optim_fixtures().at("b"), true);  // (4,)

  // Forgets the old gradients, then fills W.grad and b.grad with those of the loss.
  void compute_gradients() {
    W.zero_grad();
    b.zero_grad();
    Tensor loss = sum(pow(matmul(x, W) + b - y, 2.0f));  // ()
    loss.backward();
  }
};

}  // namespace attograd::testing
