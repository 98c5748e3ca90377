// The suite's gradient checks: attograd::gradcheck (core/gradcheck.hpp) run twice, with fused
// kernels on and off, so every op and layer's composite path and its fused twin are both
// checked. Every tolerance used by the suite lives here.
#pragma once

#include <vector>

#include <attograd/core/gradcheck.hpp>
#include <attograd/core/tensor.hpp>

namespace attograd::testing {

using GradcheckTolerance = GradcheckOptions;
using attograd::allclose;
using attograd::TensorFn;

// Reports each mismatch through Catch (FAIL_CHECK), naming the path, and returns whether all agreed.
bool check_gradients(const TensorFn& f, std::vector<Tensor> inputs, const GradcheckTolerance& tol = {});

// Random inputs for checks: values in [-1, 1) (or [lo, hi)), requires_grad on.
Tensor random_input(const Shape& shape, float lo = -1.0f, float hi = 1.0f);

}  // namespace attograd::testing
