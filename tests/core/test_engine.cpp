// The autograd engine: accumulation, graph release, deep graphs, guards, anomaly mode,
// printing, DOT output and the seeded generator.
#include <cmath>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>

#include "../support/gradcheck.hpp"

using namespace attograd;
using attograd::testing::allclose;

TEST_CASE("backward of a scalar expression matches the hand derivative") {
  Tensor x = scalar_tensor(3.0f, true);
  Tensor y = x * x + 2.0f * x;  // dy/dx = 2x + 2 = 8
  y.backward();
  CHECK(y.item() == Approx(15.0f));
  CHECK(x.grad()() == Approx(8.0f));
}

TEST_CASE("a tensor used twice receives the sum of both gradients") {
  Tensor x = from_vector({1.0f, 2.0f}, {2}, true);
  Tensor y = sum(x * x + x);  // dy/dx = 2x + 1
  y.backward();
  CHECK(allclose(x.grad(), from_vector({3.0f, 5.0f}).value()));
}

TEST_CASE("gradients accumulate across backward calls until zero_grad") {
  Tensor x = scalar_tensor(2.0f, true);
  (x * 3.0f).backward();
  (x * 3.0f).backward();
  CHECK(x.grad()() == Approx(6.0f));
  x.zero_grad();
  CHECK_FALSE(x.has_grad());
  (x * 3.0f).backward();
  CHECK(x.grad()() == Approx(3.0f));
}

TEST_CASE("the graph is freed after backward, a second backward through it is a clear error") {
  Tensor x = scalar_tensor(2.0f, true);
  Tensor y = exp(x) * 2.0f;
  y.backward();
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("already freed") && Catch::Contains("retain_graph"));
  Tensor z = y * 1.0f;  // built on top of the freed graph
  REQUIRE_THROWS_WITH(z.backward(), Catch::Contains("'mul_scalar'") && Catch::Contains("already freed"));
}

TEST_CASE("retain_graph keeps the graph for a second backward") {
  Tensor x = scalar_tensor(2.0f, true);
  Tensor y = x * x;
  y.backward(true);
  y.backward();
  CHECK(x.grad()() == Approx(8.0f));
}

TEST_CASE("non-leaf gradients are freed unless retain_grad is asked for") {
  Tensor x = scalar_tensor(2.0f, true);
  Tensor h = x * 3.0f;
  Tensor k = x * 4.0f;
  k.retain_grad();
  (h * k).backward();
  CHECK_FALSE(h.has_grad());
  REQUIRE_THROWS_WITH(h.grad(), Catch::Contains("non-leaf") && Catch::Contains("retain_grad"));
  CHECK(k.grad()() == Approx(6.0f));
  CHECK(x.grad()() == Approx(48.0f));  // d(12 x²)/dx = 24 x
}

TEST_CASE("backward errors: no grad, non-scalar without seed, wrong seed shape") {
  Tensor c = ones({2});
  REQUIRE_THROWS_WITH(sum(c).backward(), Catch::Contains("does not require grad"));
  Tensor x = ones({2, 3}, true);
  Tensor y = x * 2.0f;
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("shape (2, 3) is not a scalar") && Catch::Contains("seed"));
  REQUIRE_THROWS_WITH(y.backward(xt::ones<float>({3, 2})),
                      Catch::Contains("seed gradient has shape (3, 2) but the tensor has shape (2, 3)"));
  y.backward(xt::ones<float>({2, 3}));
  CHECK(allclose(x.grad(), Array(xt::ones<float>({2, 3}) * 2.0f)));
}

TEST_CASE("grad of a tensor backward never reached is a clear error") {
  Tensor x = ones({2}, true);
  REQUIRE_THROWS_WITH(x.grad(), Catch::Contains("has no gradient") && Catch::Contains("backward() has not reached it"));
  Tensor c = ones({2});
  REQUIRE_THROWS_WITH(c.grad(), Catch::Contains("does not require grad"));
  REQUIRE_THROWS_WITH(Tensor().value(), Catch::Contains("undefined"));
}

TEST_CASE("requires_grad_ works on leaves only") {
  Tensor x = ones({2});
  x.requires_grad_();
  CHECK(x.requires_grad());
  Tensor y = x * 2.0f;
  REQUIRE_THROWS_WITH(y.requires_grad_(false), Catch::Contains("only leaf tensors") && Catch::Contains("'mul_scalar'"));
  Tensor d = y.detach();
  CHECK(d.is_leaf());
  CHECK_FALSE(d.requires_grad());
}

TEST_CASE("a chain of 100 000 ops backpropagates and is destroyed without recursion") {
  Tensor x = scalar_tensor(1.0f, true);
  {
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = y * 1.0f + 0.0f;  // 200 000 ops
    y.backward();
    CHECK(x.grad()() == Approx(1.0f));
  }
  {
    // Destroying an unreleased deep graph (no backward) must not recurse either.
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = y + 1.0f;
    CHECK(y.item() == Approx(100001.0f));
  }
}

TEST_CASE("NoGradGuard records no graph, and restores the previous mode") {
  Tensor x = ones({2}, true);
  {
    NoGradGuard guard;
    CHECK_FALSE(is_grad_enabled());
    Tensor y = x * 2.0f;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
    { NoGradGuard nested; }
    CHECK_FALSE(is_grad_enabled());
  }
  CHECK(is_grad_enabled());
  CHECK((x * 2.0f).requires_grad());
}

TEST_CASE("views of one tensor add their gradients into its one gradient buffer") {
  Tensor x = zeros({3, 4}, true);
  auto loss = [&] {
    const std::vector<Tensor> halves = chunk(x, 2, 1);  // (3, 2) twice
    return sum(halves[0] * 2.0f) + sum(halves[1] * 3.0f) + sum(slice(x, 0, 0, 1) * 5.0f) +
           sum(transpose(x, 0, 1) * 7.0f);
  };
  const Array once = {{14.0f, 14.0f, 15.0f, 15.0f}, {9.0f, 9.0f, 10.0f, 10.0f}, {9.0f, 9.0f, 10.0f, 10.0f}};
  loss().backward();
  CHECK((x.grad() == once));
  loss().backward();  // a second backward adds to the existing gradient
  CHECK((x.grad() == once * 2.0f));
}

TEST_CASE("anomaly mode names the op whose backward produced NaN") {
  Tensor x = from_vector({0.0f, 1.0f}, {2}, true);
  {
    AnomalyModeGuard anomaly;
    Tensor y = sum(sqrt(x));  // d√x/dx = 1/(2√x) is Inf at 0
    REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("backward of 'sqrt'") && Catch::Contains("Inf") &&
                                          Catch::Contains("flat index 0"));
  }
  CHECK_FALSE(is_anomaly_enabled());
  x.zero_grad();
  sum(sqrt(x)).backward();  // without anomaly mode the Inf is simply stored
  CHECK(std::isinf(x.grad()(0)));
}

TEST_CASE("to_dot describes the graph with op names and shapes") {
  Tensor a = ones({2, 3}, true);
  Tensor b = ones({3}, true);
  Tensor y = sum(a * b);
  const std::string dot = to_dot(y);
  CHECK(dot.rfind("digraph attograd {", 0) == 0);
  CHECK_THAT(dot, Catch::Contains("mul #") && Catch::Contains("sum #") && Catch::Contains("(2, 3)") &&
                      Catch::Contains("(3,)") && Catch::Contains("->"));
}

TEST_CASE("printing shows values, shape and how a tensor was made") {
  Tensor t = from_vector({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2}, true);
  CHECK(to_string(t) == "tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]], shape=(2, 2), requires_grad=true)");
  std::ostringstream os;
  os << t * 2.0f;
  CHECK_THAT(os.str(), Catch::Contains("op=mul_scalar"));
  CHECK(fmt::format("{}", to_string(scalar_tensor(1.5f))) == "tensor(1.5000)");
  CHECK_THAT(to_string(arange(100.0f)), Catch::Contains("2.0000, ..., 97.0000"));
}

TEST_CASE("the generator: same seed, same numbers, sensible moments") {
  manual_seed(42);
  Tensor a = randn({1000});
  Tensor u = rand({1000});
  manual_seed(42);
  Tensor b = randn({1000});
  CHECK((a.value() == b.value()));
  manual_seed(43);
  CHECK_FALSE((randn({1000}).value() == a.value()));
  double m = 0.0, s = 0.0;
  for (float v : a.value()) m += v;
  m /= 1000.0;
  for (float v : a.value()) s += (v - m) * (v - m);
  CHECK(std::abs(m) < 0.1);
  CHECK(std::sqrt(s / 999.0) == Approx(1.0).margin(0.1));
  for (float v : u.value()) CHECK((v >= 0.0f && v < 1.0f));
  // The exact stream is fixed by the algorithm, not by the standard library.
  Generator g(7);
  CHECK(g.next_u64() == Generator(7).next_u64());
}

TEST_CASE("factories make the shapes and values asked for") {
  CHECK(zeros({2, 3}).shape() == Shape{2, 3});
  CHECK((full({2}, 7.0f).value()(1) == 7.0f));
  CHECK(arange(0.0f, 1.0f, 0.25f).numel() == 4);
  CHECK((from_vector({1, 2, 3, 4, 5, 6}, {3, 2}).value()(2, 1) == 6.0f));
  CHECK(scalar_tensor(2.0f).dim() == 0);
  REQUIRE_THROWS_WITH(from_vector({1, 2, 3}, {2, 2}),
                      Catch::Contains("3 values cannot fill shape (2, 2) (4 elements)"));
  REQUIRE_THROWS_WITH(arange(0.0f, 1.0f, 0.0f), Catch::Contains("arange: cannot go from 0 to 1 in steps of 0"));
  REQUIRE_THROWS_WITH(ones({2}).item(), Catch::Contains("item: only a one-element tensor") && Catch::Contains("(2,)"));
}

TEST_CASE("arange_index gives integer positions as torch.arange with torch::kLong") {
  CHECK((arange_index(4) == Index{0, 1, 2, 3}));
  CHECK((arange_index(2, 9, 3) == Index{2, 5, 8}));
  CHECK((arange_index(5, 0, -2) == Index{5, 3, 1}));
  CHECK((arange_index(3, 3).size() == 0));
  CHECK((arange_index(0).size() == 0));
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  CHECK((arange_index(big - 2, big) == Index{big - 2, big - 1}));
  CHECK((arange_index(-big, big, big) == Index{-big, 0}));
  REQUIRE_THROWS_AS(arange_index(0, 4, 0), std::invalid_argument);
  REQUIRE_THROWS_WITH(arange_index(0, 4, 0), "arange_index: step must be nonzero, got 0");
  REQUIRE_THROWS_WITH(arange_index(5, 0),
                      "arange_index: cannot go from 5 to 0 in steps of 1 (the step points away from end)");
  REQUIRE_THROWS_WITH(arange_index(0, 5, -1),
                      "arange_index: cannot go from 0 to 5 in steps of -1 (the step points away from end)");
  REQUIRE_THROWS_WITH(arange_index(-3), Catch::Contains("cannot go from 0 to -3 in steps of 1"));
}

TEST_CASE("a generator given another's state continues its exact sequence, spare normal included") {
  Generator a(42);
  a.normal();  // leaves the second Box-Muller value as the spare
  a.next_u64();
  Generator b(7);
  b.set_state(a.state());
  CHECK(b.state() == a.state());
  CHECK(b.normal() == a.normal());  // the spare
  for (int i = 0; i < 5; ++i) CHECK(b.next_u64() == a.next_u64());
  CHECK(b.normal() == a.normal());
}

TEST_CASE("Generator::set_state names text it cannot read and keeps its state") {
  Generator g(3);
  const std::string before = g.state();
  for (const std::string bad :
       {"", "mt19937 1 2 3 4 -", "xoshiro256** 0000000000000001 0000000000000002 0000000000000003 -",
        "xoshiro256** 000000000000000g 0000000000000002 0000000000000003 0000000000000004 -",
        "xoshiro256** 1 0000000000000002 0000000000000003 0000000000000004 -",
        "xoshiro256** 0000000000000000 0000000000000000 0000000000000000 0000000000000000 -",
        "xoshiro256** 0000000000000001 0000000000000002 0000000000000003 0000000000000004 3f80"}) {
    INFO("'" << bad << "'");
    CHECK_THROWS_WITH(g.set_state(bad), Catch::Contains("Generator::set_state: ") && Catch::Contains("'" + bad + "'"));
    CHECK(g.state() == before);
  }
}
