// check_gradients: attograd::gradcheck with fused kernels on and off, reported through Catch.
#include "gradcheck.hpp"

#include <catch2/catch.hpp>

#include <attograd/core/fused/switch.hpp>
#include <attograd/core/random.hpp>

namespace attograd::testing {

namespace {
Generator& input_generator() {
  static Generator g(12345);
  return g;
}
}  // namespace

Tensor random_input(const Shape& shape, float lo, float hi) {
  Array a = Array::from_shape(shape);
  for (float& v : a) v = input_generator().uniform(lo, hi);
  return Tensor(std::move(a), true);
}

bool check_gradients(const TensorFn& f, std::vector<Tensor> inputs, const GradcheckTolerance& tol) {
  bool ok = true;
  for (const bool fused : {true, false}) {
    FusedKernelsGuard path(fused);
    const GradcheckReport report = gradcheck(f, inputs, tol);
    if (!report.ok) {
      ok = false;
      FAIL_CHECK((fused ? "fused kernels on: " : "fused kernels off: ") + report.summary());
    }
  }
  return ok;
}

}  // namespace attograd::testing
