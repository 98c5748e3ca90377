// Central-difference gradient checking, the proof that every backward is right.
//
// check_gradients(f, inputs) evaluates loss = Σ f(inputs) ⊙ W for a fixed random W, runs
// backward, and compares each input's gradient with (loss(x + h) - loss(x - h)) / 2h, element by
// element. Every tolerance used by the suite lives here.
#pragma once

#include <functional>
#include <vector>

#include <attograd/core/tensor.hpp>

namespace attograd::testing {

struct GradcheckTolerance {
  float step = 1e-3f;  // h: float32 leaves about 3 significant digits in a difference quotient
  float atol = 2e-3f;
  float rtol = 2e-2f;
};

using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Runs the check, reporting each mismatch through Catch (CHECK), and returns whether all agreed.
bool check_gradients(const TensorFn& f, std::vector<Tensor> inputs, const GradcheckTolerance& tol = {});

// Random inputs for checks: values in [-1, 1) (or [lo, hi)), requires_grad on.
Tensor random_input(const Shape& shape, float lo = -1.0f, float hi = 1.0f);

// Elementwise comparison of arrays with shape check: |a - b| <= atol + rtol |b|.
bool allclose(const Array& a, const Array& b, float rtol = 1e-5f, float atol = 1e-6f);

}  // namespace attograd::testing
