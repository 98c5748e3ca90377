// What an out-of-tree user's program needs from core, used as such a program would: a
// gradient check of their own op, select, printing ids, values and gradients, ids from a
// std::vector, and the fused-kernel switch.
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>

using namespace attograd;
using Catch::Matchers::Contains;

namespace {
// A user's own op: y = x³, with its backward 3x² · g written below it.
Tensor cube(const Tensor& x) {
  return make_result("cube", x.value() * x.value() * x.value(), {x},
                     [](const Array& g, const Array&, const std::vector<Tensor>& in) {
                       const Array& v = in[0].value();
                       accumulate_grad(in[0], Array(3.0f * v * v * g));
                     });
}
// The same op with a wrong derivative (2x² instead of 3x²).
Tensor wrong_cube(const Tensor& x) {
  return make_result("wrong_cube", x.value() * x.value() * x.value(), {x},
                     [](const Array& g, const Array&, const std::vector<Tensor>& in) {
                       const Array& v = in[0].value();
                       accumulate_grad(in[0], Array(2.0f * v * v * g));
                     });
}
}  // namespace

TEST_CASE("gradcheck passes a user's op with a right backward and reports one with a wrong one") {
  manual_seed(3);
  const Tensor x = randn({2, 3}, true);
  const GradcheckReport good = gradcheck([](const std::vector<Tensor>& in) { return cube(in[0]); }, {x});
  CHECK(good.ok);
  CHECK(good.elements_checked == 6);
  CHECK(good.mismatches.empty());
  CHECK_THAT(good.summary(), Contains("gradcheck passed: 6 elements"));

  const GradcheckReport bad = gradcheck([](const std::vector<Tensor>& in) { return wrong_cube(in[0]); }, {x});
  CHECK_FALSE(bad.ok);
  REQUIRE(!bad.mismatches.empty());
  const GradcheckMismatch& m = bad.mismatches.front();
  CHECK(m.input == 0);
  CHECK(m.analytic == Approx(m.numeric * 2.0 / 3.0).epsilon(0.02));
  CHECK_THAT(bad.summary(), Contains("gradcheck FAILED") && Contains("backward gives"));
}

TEST_CASE("gradcheck leaves out inputs that need no gradient and leaves the default generator alone") {
  manual_seed(4);
  const Tensor a = randn({3}, true), b = randn({3});
  manual_seed(9);
  const float before = randn({1}).item();
  manual_seed(9);
  const GradcheckReport r = gradcheck([](const std::vector<Tensor>& in) { return in[0] * in[1]; }, {a, b});
  CHECK(r.ok);
  CHECK(r.elements_checked == 3);
  CHECK(randn({1}).item() == before);
}

TEST_CASE("select picks one entry along a dim, like torch.select, and differentiates") {
  const Tensor x = from_vector({0, 1, 2, 3, 4, 5}, {2, 3}, true);  // (2, 3)
  CHECK((select(x, 1, 2).value() == Array{2.0f, 5.0f}));
  CHECK((select(x, 0, -1).value() == Array{3.0f, 4.0f, 5.0f}));
  CHECK(select(x, -1, 0).shape() == Shape{2});
  select(x, 1, 1).backward(Array{1.0f, 1.0f});
  CHECK((x.grad() == Array{{0.0f, 1.0f, 0.0f}, {0.0f, 1.0f, 0.0f}}));
  CHECK(gradcheck([](const std::vector<Tensor>& in) { return select(in[0], 1, 0); }, {randn({2, 3, 4}, true)}).ok);
  CHECK_THROWS_WITH(select(x, 1, 3), "select: index 3 is out of range for dim 1 of size 3 in a tensor of shape (2, 3)");
  CHECK_THROWS_WITH(select(x, 2, 0), Contains("select") && Contains("dim 2"));
}

TEST_CASE("ids, values, gradients and masks print like tensors, through << and fmt, with no extra include") {
  const Index ids = index_from_vector({0, 3, 1, 2}, {2, 2});
  std::ostringstream out;
  out << ids;
  CHECK(out.str() == "[[0, 3],\n [1, 2]], shape=(2, 2)");
  CHECK(fmt::format("{}", index_from_vector({4, 5})) == "[4, 5]");
  const Tensor w = from_vector({1.5f, -2.0f}, {}, true);
  (w * w).backward(Array{1.0f, 1.0f});
  CHECK(fmt::format("{}", w.grad()) == "[3.0000, -4.0000]");
  CHECK(fmt::format("{}", w) == "tensor([1.5000, -2.0000], requires_grad=true)");
  CHECK(to_string(Mask{true, false}) == "[true, false]");
  CHECK_THROWS_WITH(index_from_vector({1, 2, 3}, {2, 2}),
                    "index_from_vector: 3 values cannot fill shape (2, 2) (4 elements)");
}

TEST_CASE("the fused-kernel switch: on by default, off inside a guard, restored after") {
  REQUIRE(fused_kernels_enabled());
  const Tensor x = randn({3, 5}, true);
  const Tensor fused = softmax(x, -1);
  CHECK(std::string(fused.op()) == "softmax");  // one fused op
  {
    FusedKernelsGuard readable(false);
    CHECK_FALSE(fused_kernels_enabled());
    const Tensor composite = softmax(x, -1);
    CHECK(std::string(composite.op()) == "div");  // e / Σ e, the formula's last op
    CHECK(allclose(composite.value(), fused.value(), 1e-6f, 1e-7f));
  }
  CHECK(fused_kernels_enabled());
  set_fused_kernels(false);
  CHECK_FALSE(fused_kernels_enabled());
  set_fused_kernels(true);
}
