// gradcheck: central-difference gradient checking, the proof that a backward is right. Use it
// on your own ops and layers as the tests use it on every one of attograd's.
//
//   const GradcheckReport r = gradcheck([](const std::vector<Tensor>& in) { return my_op(in[0]); },
//                                       {randn({3, 4}, true)});
//   if (!r.ok) std::cerr << r.summary();
//
// It evaluates loss = Σ f(inputs) ⊙ W for a fixed random W, runs backward, and compares every
// element of each input's gradient with (loss(x + h) - loss(x - h)) / 2h: |analytic - numeric|
// must be at most atol + rtol · |numeric|. float32 leaves about three significant digits in a
// difference quotient, hence the loose defaults; keep inputs of order 1 and away from kinks
// (relu at 0, max with ties).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <attograd/core/tensor.hpp>

namespace attograd {

struct GradcheckOptions {
  float step = 1e-3f;  // h
  float atol = 2e-3f;
  float rtol = 2e-2f;
  std::uint64_t seed = 12345;  // of W; the default generator is not touched
};

struct GradcheckMismatch {
  std::size_t input;    // which input
  std::size_t element;  // flat index into it
  double analytic;      // what backward gave
  double numeric;       // the central difference
};

struct GradcheckReport {
  bool ok = true;
  std::size_t elements_checked = 0;
  double max_abs_error = 0.0;  // over every element checked
  std::vector<GradcheckMismatch> mismatches;
  std::string summary() const;  // one line, plus one line per mismatch (the first 10)
};

using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Inputs that do not require grad are left out of the check. f must be deterministic.
GradcheckReport gradcheck(const TensorFn& f, std::vector<Tensor> inputs, const GradcheckOptions& options = {});

// Elementwise |a - b| <= atol + rtol · |b| with equal shapes; NaN matches only NaN.
bool allclose(const Array& a, const Array& b, float rtol = 1e-5f, float atol = 1e-6f);

}  // namespace attograd
