// Shared by the layer tests (test_layers, test_rnn, test_nn_golden, test_module): comparing
// arrays with a report of the worst element, and seeding backward from several outputs.
#pragma once

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>

#include <attograd/nn/module.hpp>

namespace attograd::testing {

// The module's parameters followed by the given inputs, for check_gradients.
inline std::vector<Tensor> with_parameters(const nn::Module& m, std::vector<Tensor> inputs) {
  std::vector<Tensor> all = m.parameters();
  all.insert(all.end(), inputs.begin(), inputs.end());
  return all;
}

// |got - want| <= atol + rtol |want| everywhere; a failure names `what` and the worst element.
inline void check_close(const std::string& what, const Array& got, const Array& want, float rtol = 1e-5f,
                        float atol = 1e-6f) {
  INFO(what << ": got shape " << shape_str(got.shape()) << ", want " << shape_str(want.shape()));
  REQUIRE(got.shape() == want.shape());
  double worst = 0.0;
  std::size_t worst_at = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = got.data()[i], w = want.data()[i];
    const double ratio = std::isfinite(g) ? std::abs(g - w) / (atol + rtol * std::abs(w)) : INFINITY;
    if (ratio > worst) {
      worst = ratio;
      worst_at = i;
    }
  }
  INFO(fmt::format("worst element {}: got {:.9g}, want {:.9g} ({:.3g} of the tolerance)", worst_at,
                   got.size() ? got.data()[worst_at] : 0.0f, want.size() ? want.data()[worst_at] : 0.0f, worst));
  CHECK(worst <= 1.0);
}

// Exact equality of values and shapes.
inline bool identical(const Array& a, const Array& b) {
  if (a.shape() != b.shape()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a.data()[i] != b.data()[i]) return false;
  return true;
}

// backward of Σ_k Σ outputs[k] ⊙ seeds[k]: every output gets its own upstream gradient, as
// torch.autograd.backward(outputs, seeds).
inline void backward_with(const std::vector<std::pair<Tensor, Array>>& outputs_and_seeds) {
  Tensor loss;
  for (const auto& [out, seed] : outputs_and_seeds) {
    const Tensor term = sum(out * Tensor(seed));
    loss = loss.defined() ? loss + term : term;
  }
  loss.backward();
}

// A random array in [-scale, scale) from the default generator.
inline Array random_array(const Shape& shape, float scale = 1.0f) {
  Array a = Array::from_shape(shape);
  for (float& v : a) v = default_generator().uniform(-scale, scale);
  return a;
}

}  // namespace attograd::testing
