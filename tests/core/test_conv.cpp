// conv1d, conv2d and the 2-D pools: values against a direct loop, gradient checks in every
// configuration (stride, padding, dilation, groups, bias, unbatched, the 1×1 fast path), the
// pools' edge rules (ties, padding, count_include_pad, adaptive bins) and every error message.
// PyTorch agreement is in test_golden_ops.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <vector>

#include <attograd/core/core.hpp>

#include "../support/gradcheck.hpp"

using namespace attograd;
using attograd::testing::check_gradients;
using attograd::testing::random_input;
using Catch::Contains;
using Ts = std::vector<Tensor>;

namespace {

struct ConvArgs {
  Size2 stride = 1, padding = 0, dilation = 1;
  std::int64_t groups = 1;
};

// conv2d as its definition, one output at a time in double: y[n, o, i, j] = b[o] +
// Σ_c Σ_ki Σ_kj w[o, c, ki, kj] · x[n, g·C/G + c, i·s - p + ki·d, j·s - p + kj·d] (0 outside).
Array conv2d_reference(const Array& x, const Array& w, const Array* b, const ConvArgs& a) {
  const std::size_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
  const std::size_t O = w.shape()[0], Cg = w.shape()[1], KH = w.shape()[2], KW = w.shape()[3];
  const auto G = static_cast<std::size_t>(a.groups), Og = O / G;
  const auto out_size = [](std::size_t size, std::size_t k, std::int64_t s, std::int64_t p, std::int64_t d) {
    return static_cast<std::size_t>(
        (static_cast<std::int64_t>(size) + 2 * p - d * (static_cast<std::int64_t>(k) - 1) - 1) / s + 1);
  };
  const std::size_t OH = out_size(H, KH, a.stride.h, a.padding.h, a.dilation.h);
  const std::size_t OW = out_size(W, KW, a.stride.w, a.padding.w, a.dilation.w);
  Array y = xt::zeros<float>({N, O, OH, OW});
  REQUIRE(C == Cg * G);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t o = 0; o < O; ++o)
      for (std::size_t i = 0; i < OH; ++i)
        for (std::size_t j = 0; j < OW; ++j) {
          double s = b ? (*b)(o) : 0.0;
          for (std::size_t c = 0; c < Cg; ++c)
            for (std::size_t ki = 0; ki < KH; ++ki)
              for (std::size_t kj = 0; kj < KW; ++kj) {
                const std::int64_t r = static_cast<std::int64_t>(i) * a.stride.h - a.padding.h +
                                       static_cast<std::int64_t>(ki) * a.dilation.h;
                const std::int64_t q = static_cast<std::int64_t>(j) * a.stride.w - a.padding.w +
                                       static_cast<std::int64_t>(kj) * a.dilation.w;
                if (r < 0 || q < 0 || r >= static_cast<std::int64_t>(H) || q >= static_cast<std::int64_t>(W)) continue;
                s += static_cast<double>(w(o, c, ki, kj)) *
                     x(n, (o / Og) * Cg + c, static_cast<std::size_t>(r), static_cast<std::size_t>(q));
              }
          y(n, o, i, j) = static_cast<float>(s);
        }
  return y;
}

// Distinct values 0.05 apart in a scrambled order, so no pooling window holds a near tie and
// central differences never cross a change of argmax.
Tensor distinct_input(const Shape& shape) {
  Array a = Array::from_shape(shape);
  const std::size_t n = a.size();
  for (std::size_t i = 0; i < n; ++i) a.data()[i] = 0.05f * static_cast<float>((i * 37 + 11) % n) - 1.0f;
  return Tensor(std::move(a), true);
}

}  // namespace

TEST_CASE("conv2d equals its definition in every configuration", "[conv]") {
  const std::vector<std::tuple<Shape, Shape, ConvArgs>> cases = {
      {{2, 3, 6, 5}, {4, 3, 3, 3}, {}},
      {{2, 3, 7, 6}, {4, 3, 3, 2}, {.stride = 2, .padding = 1}},
      {{1, 2, 9, 8}, {3, 2, 3, 3}, {.stride = {1, 2}, .padding = {2, 0}, .dilation = {2, 3}}},
      {{2, 4, 5, 5}, {6, 2, 3, 3}, {.padding = 1, .groups = 2}},
      {{1, 4, 6, 6}, {4, 1, 3, 3}, {.stride = 2, .padding = 1, .groups = 4}},  // depthwise
      {{2, 3, 4, 5}, {5, 3, 1, 1}, {}},                                        // 1×1: the columns are x
      {{2, 4, 4, 5}, {6, 2, 1, 1}, {.groups = 2}},
      {{1, 3, 5, 5}, {2, 3, 1, 1}, {.stride = 2, .padding = 1}},
      {{1, 1, 3, 3}, {2, 1, 3, 3}, {.padding = 2, .dilation = 2}},  // mostly padding
      // As wide as the input with stride 1 (im2col's one-copy path), with unequal sizes,
      // paddings and dilations, and H not "same":
      {{2, 3, 6, 7}, {4, 3, 3, 5}, {.padding = {1, 2}}},
      {{1, 2, 5, 4}, {3, 2, 3, 3}, {.padding = {2, 1}, .dilation = {2, 1}}},
      {{1, 2, 4, 6}, {2, 2, 2, 3}, {.padding = {0, 1}}},
      {{1, 2, 3, 1}, {2, 2, 3, 3}, {.padding = 1}},  // W = 1: the side columns read only padding
  };
  for (const auto& [xs, ws, a] : cases) {
    INFO("input " << shape_str(xs) << ", weight " << shape_str(ws) << ", groups " << a.groups);
    const Tensor x = random_input(xs), w = random_input(ws), b = random_input({ws[0]});
    const Array want = conv2d_reference(x.value(), w.value(), &b.value(), a);
    CHECK(attograd::allclose(conv2d(x, w, b, a.stride, a.padding, a.dilation, a.groups).value(), want, 1e-5f, 1e-5f));
    CHECK(attograd::allclose(conv2d(x, w, {}, a.stride, a.padding, a.dilation, a.groups).value(),
                             conv2d_reference(x.value(), w.value(), nullptr, a), 1e-5f, 1e-5f));
  }
}

TEST_CASE("conv2d values: a hand-computed case, unbatched input, an empty batch", "[conv]") {
  // x = 1..9 as 3×3, w = [[1, 0], [0, -1]]: y[i, j] = x[i, j] - x[i+1, j+1] = -4 everywhere.
  const Tensor x = from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  const Tensor w = from_vector({1, 0, 0, -1}, {1, 1, 2, 2});
  CHECK((conv2d(x, w).value() == full({1, 1, 2, 2}, -4.0f).value()));
  CHECK(conv2d(x, w, from_vector({0.5f}, {1})).value()(0, 0, 1, 1) == -3.5f);
  CHECK(conv2d(x, w.detach().requires_grad_()).op() == std::string("conv2d"));

  const Tensor xb = random_input({3, 6, 5}), wb = random_input({4, 3, 3, 3}), bb = random_input({4});
  const Tensor unbatched = conv2d(xb, wb, bb, 1, 1);  // (C, H, W) -> (O, OH, OW)
  CHECK(unbatched.shape() == Shape{4, 6, 5});
  CHECK(attograd::allclose(unbatched.value(), squeeze(conv2d(unsqueeze(xb, 0), wb, bb, 1, 1), 0).value()));

  const Tensor none = zeros({0, 3, 5, 5}, true);
  const Tensor y = conv2d(none, wb, bb);
  CHECK(y.shape() == Shape{0, 4, 3, 3});
  sum(y).backward();
  CHECK(none.grad().shape() == Shape{0, 3, 5, 5});
  CHECK(bb.grad()(0) == 0.0f);
}

TEST_CASE("conv2d: a batch split across threads agrees with its samples one by one", "[conv]") {
  // 4 · 32 · (16·3·3) · 16·16 ≈ 4.7M multiply-adds: enough for parallel_for to split the batch
  // (when BLAS has more than one thread); each sample alone is never split.
  Tensor x = random_input({4, 16, 16, 16}), w = random_input({32, 16, 3, 3}), b = random_input({32});
  const Tensor y = conv2d(x, w, b, 1, 1);
  const Array seed = random_input(y.shape()).value();
  y.backward(seed);
  const Array dx = x.grad(), dw = w.grad(), db = b.grad();
  x.zero_grad(), w.zero_grad(), b.zero_grad();
  for (int n = 0; n < 4; ++n) {
    const Tensor one = conv2d(narrow(x, 0, n, 1), w, b, 1, 1);
    CHECK(attograd::allclose(one.value(), narrow(y, 0, n, 1).value(), 1e-5f, 1e-5f));
    one.backward(narrow(Tensor(seed), 0, n, 1).value());
  }
  CHECK(attograd::allclose(x.grad(), dx, 1e-5f, 1e-5f));
  CHECK(attograd::allclose(w.grad(), dw, 1e-5f, 1e-4f));
  CHECK(attograd::allclose(b.grad(), db, 1e-5f, 1e-4f));
  // The split depends only on the sizes: the same call gives the same bits (its dx now in memory
  // that held other arrays, so a part that did not zero its samples of dx first would show).
  x.zero_grad(), w.zero_grad(), b.zero_grad();
  const Tensor again = conv2d(x, w, b, 1, 1);
  again.backward(seed);
  CHECK((again.value() == y.value()));
  CHECK((w.grad() == dw));
  CHECK((x.grad() == dx));
  CHECK((b.grad() == db));
}

TEST_CASE("conv1d is conv2d over a height of 1", "[conv]") {
  const Tensor x = random_input({2, 4, 9}), w = random_input({6, 2, 3}), b = random_input({6});
  const Tensor y = conv1d(x, w, b, 2, 1, 2, 2);  // stride 2, padding 1, dilation 2, groups 2
  const Tensor as_2d = conv2d(unsqueeze(x, 2), unsqueeze(w, 2), b, {1, 2}, {0, 1}, {1, 2}, 2);
  CHECK(y.shape() == Shape{2, 6, 4});  // floor((9 + 2 - 4 - 1) / 2) + 1
  CHECK(attograd::allclose(y.value(), squeeze(as_2d, 2).value()));
  CHECK(y.op() == std::string("conv1d"));
  CHECK(conv1d(random_input({4, 9}), w, b, 1, 0, 1, 2).shape() == Shape{6, 7});  // unbatched (C, L)
}

TEST_CASE("gradcheck: conv1d", "[conv]") {
  for (bool with_bias : {true, false}) {
    INFO("bias " << with_bias);
    const Tensor b = with_bias ? random_input({4}) : Tensor();
    const auto f = [&](std::int64_t s, std::int64_t p, std::int64_t d, std::int64_t g) {
      return [=](const Ts& in) { return conv1d(in[0], in[1], with_bias ? in[2] : Tensor(), s, p, d, g); };
    };
    // Built whole rather than pushed onto (GCC 12 warns falsely about push_back after a braced list).
    const auto inputs = [&](const Tensor& x, const Tensor& w) { return with_bias ? Ts{x, w, b} : Ts{x, w}; };
    // stride 2, padding 1, dilation 2, groups 2; then the plain case
    CHECK(check_gradients(f(2, 1, 2, 2), inputs(random_input({2, 4, 7}), random_input({4, 2, 3}))));
    CHECK(check_gradients(f(1, 0, 1, 1), inputs(random_input({2, 2, 6}), random_input({4, 2, 3}))));
  }
}

TEST_CASE("gradcheck: conv2d with stride, padding, dilation, groups, bias or not", "[conv]") {
  for (bool with_bias : {true, false}) {
    INFO("bias " << with_bias);
    const auto f = [with_bias](ConvArgs a) {
      return [=](const Ts& in) {
        return conv2d(in[0], in[1], with_bias ? in[2] : Tensor(), a.stride, a.padding, a.dilation, a.groups);
      };
    };
    const auto inputs = [with_bias](const Shape& xs, const Shape& ws) {
      Ts in = {random_input(xs), random_input(ws)};
      if (with_bias) in.push_back(random_input({ws[0]}));
      return in;
    };
    CHECK(check_gradients(f({.stride = 2, .padding = 1, .dilation = 2, .groups = 2}),
                          inputs({2, 4, 6, 5}, {4, 2, 2, 3})));
    CHECK(check_gradients(f({.stride = {1, 2}, .padding = {0, 1}}), inputs({1, 2, 5, 4}, {3, 2, 3, 2})));
    CHECK(check_gradients(f({}), inputs({2, 3, 3, 4}, {2, 3, 1, 1})));  // 1×1: no im2col
    CHECK(check_gradients(f({.padding = 1}), inputs({2, 4, 4}, {3, 2, 3, 3})));
    // im2col's one-copy path (stride 1, as wide as the input), unequal sizes:
    CHECK(check_gradients(f({.padding = {1, 2}}), inputs({1, 2, 4, 5}, {2, 2, 3, 5})));
    CHECK(check_gradients(f({.padding = {2, 1}, .dilation = {2, 1}}), inputs({1, 2, 5, 4}, {2, 2, 3, 3})));
    CHECK(check_gradients(f({.padding = 1}), inputs({1, 2, 3, 1}, {2, 2, 3, 3})));
  }
  // Only some inputs require grad: each backward sends only what is asked for.
  const Tensor x = random_input({1, 2, 4, 4}), w = random_input({3, 2, 3, 3});
  CHECK(check_gradients([&](const Ts& in) { return conv2d(x.detach(), in[0], {}, 1, 1); }, {w}));
  CHECK(check_gradients([&](const Ts& in) { return conv2d(in[0], w.detach(), {}, 1, 1); }, {x}));
}

TEST_CASE("gradcheck: max_pool2d, avg_pool2d, adaptive_avg_pool2d", "[conv]") {
  const Tensor x = distinct_input({2, 2, 6, 5});
  CHECK(check_gradients([](const Ts& in) { return max_pool2d(in[0], 2); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return max_pool2d(in[0], 3, {2, 1}, 1); }, {x}));  // overlapping
  CHECK(check_gradients(
      [](const Ts& in) {
        return max_pool2d(in[0], {3, 2}, 1, {1, 0});
      },
      {distinct_input({2, 5, 4})}));
  const Tensor r = random_input({2, 2, 6, 5});
  for (bool include : {true, false}) {
    INFO("count_include_pad " << include);
    CHECK(check_gradients([=](const Ts& in) { return avg_pool2d(in[0], 3, 2, 1, include); }, {r}));
    CHECK(check_gradients([=](const Ts& in) { return avg_pool2d(in[0], {2, 3}, 1, {1, 1}, include); }, {r}));
  }
  CHECK(check_gradients([](const Ts& in) { return avg_pool2d(in[0], 2); }, {r}));
  CHECK(check_gradients([](const Ts& in) { return adaptive_avg_pool2d(in[0], 3); }, {random_input({2, 2, 5, 5})}));
  CHECK(check_gradients([](const Ts& in) { return adaptive_avg_pool2d(in[0], {3, 2}); }, {r}));
  CHECK(check_gradients([](const Ts& in) { return adaptive_avg_pool2d(in[0], {4, 7}); }, {r}));  // larger than W
}

TEST_CASE("max_pool2d: ties go to the first, padding is -inf, NaN wins", "[conv]") {
  const Tensor x = ones({1, 1, 2, 2}, true);
  max_pool2d(x, 2).backward(xt::ones<float>({1, 1, 1, 1}));
  CHECK((x.grad() == from_vector({1, 0, 0, 0}, {1, 1, 2, 2}).value()));

  const Tensor negative = full({1, 1, 3, 3}, -5.0f);
  CHECK((max_pool2d(negative, 3, 1, 1).value() == full({1, 1, 3, 3}, -5.0f).value()));  // not the padding's 0

  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor with_nan = from_vector({1, nan, 3, 2}, {1, 2, 2});  // unbatched
  CHECK(std::isnan(max_pool2d(with_nan, 2).item()));
  CHECK(max_pool2d(ones({4, 3, 7, 7}), 2).shape() == Shape{4, 3, 3, 3});  // stride = kernel_size
  CHECK(max_pool2d(ones({1, 7, 7}), 3, 2, 1).shape() == Shape{1, 4, 4});
}

// max_pool2d has three loops: kernel 2 stride 2 (a tournament), any other window without NaNs
// (branch-free), and with NaNs (PyTorch's compare). Each must give the maximum and route the
// gradient to the first of equal maxima; checked against a brute force on inputs full of ties.
TEST_CASE("max_pool2d: every loop picks the first maximum of each window, as a brute force does", "[conv]") {
  struct Case {
    std::size_t h, w, k, stride, pad;
  };
  for (const Case c :
       {Case{6, 8, 2, 2, 0}, Case{7, 5, 2, 2, 0}, Case{6, 6, 3, 2, 1}, Case{5, 7, 2, 1, 0}, Case{6, 6, 3, 3, 0}}) {
    for (const bool with_nan : {false, true}) {
      INFO("h " << c.h << " w " << c.w << " kernel " << c.k << " stride " << c.stride << " padding " << c.pad
                << (with_nan ? " with a NaN" : ""));
      Generator gen(7);
      Array v = Array::from_shape({2, 3, c.h, c.w});
      for (float& e : v) e = static_cast<float>(gen.below(3));  // 0, 1 or 2: ties everywhere
      if (with_nan) v(1, 2, 1, 1) = std::numeric_limits<float>::quiet_NaN();
      const Tensor x(v, true);
      const auto k = static_cast<std::int64_t>(c.k), s = static_cast<std::int64_t>(c.stride);
      const Tensor y = max_pool2d(x, k, s, static_cast<std::int64_t>(c.pad));
      y.backward(xt::ones<float>(y.shape()));
      Array expected_grad = xt::zeros<float>(v.shape());
      for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t ch = 0; ch < 3; ++ch)
          for (std::size_t oi = 0; oi < y.shape()[2]; ++oi)
            for (std::size_t oj = 0; oj < y.shape()[3]; ++oj) {
              float best = -std::numeric_limits<float>::infinity();
              std::size_t bi = 0, bj = 0;
              bool found = false;
              for (std::size_t di = 0; di < c.k; ++di)
                for (std::size_t dj = 0; dj < c.k; ++dj) {
                  const std::ptrdiff_t i =
                      static_cast<std::ptrdiff_t>(oi * c.stride + di) - static_cast<std::ptrdiff_t>(c.pad);
                  const std::ptrdiff_t j =
                      static_cast<std::ptrdiff_t>(oj * c.stride + dj) - static_cast<std::ptrdiff_t>(c.pad);
                  if (i < 0 || j < 0 || i >= static_cast<std::ptrdiff_t>(c.h) || j >= static_cast<std::ptrdiff_t>(c.w))
                    continue;
                  const float e = v(n, ch, static_cast<std::size_t>(i), static_cast<std::size_t>(j));
                  if (!found || e > best || std::isnan(e)) {
                    best = e, bi = static_cast<std::size_t>(i), bj = static_cast<std::size_t>(j), found = true;
                  }
                }
              const float got = y.value()(n, ch, oi, oj);
              CHECK(((std::isnan(best) && std::isnan(got)) || got == best));
              expected_grad(n, ch, bi, bj) += 1.0f;
            }
      CHECK((x.grad() == expected_grad));
    }
  }
}

TEST_CASE("max_pool2d: planes split across threads route the gradient as one plane at a time does", "[conv]") {
  // (8, 16, 66, 66) pooled 2×2: 139 392 outputs, over 2^22 in parallel_parts' units (8 per window
  // element), so the forward and the backward split the planes (when there is more than one
  // thread); one sample alone is not split.
  Tensor x = random_input({8, 16, 66, 66});
  const Array seed = random_input({8, 16, 33, 33}).value();
  max_pool2d(x, 2).backward(seed);
  const Array whole = x.grad();
  x.zero_grad();
  for (int n = 0; n < 8; ++n) max_pool2d(narrow(x, 0, n, 1), 2).backward(narrow(Tensor(seed), 0, n, 1).value());
  CHECK((x.grad() == whole));
}

TEST_CASE("avg_pool2d and adaptive_avg_pool2d values", "[conv]") {
  const Tensor x = ones({1, 1, 3, 3});
  // At a corner, the 3×3 window with padding 1 holds 4 real elements of the 9.
  CHECK(avg_pool2d(x, 3, 1, 1, true).value()(0, 0, 0, 0) == Approx(4.0 / 9.0));
  CHECK(avg_pool2d(x, 3, 1, 1, false).value()(0, 0, 0, 0) == 1.0f);
  CHECK(avg_pool2d(x, 3, 1, 1, true).value()(0, 0, 1, 1) == 1.0f);

  // 5 -> 3 bins along each dim: [0, 2), [1, 4), [3, 5), overlapping.
  const Tensor ramp = reshape(arange(25.0f), {1, 1, 5, 5});
  const Array y = adaptive_avg_pool2d(ramp, 3).value();
  CHECK(y(0, 0, 0, 0) == Approx((0 + 1 + 5 + 6) / 4.0));
  CHECK(y(0, 0, 1, 1) == Approx(12.0));  // rows 1-3, columns 1-3: centred on 12
  CHECK(y(0, 0, 2, 0) == Approx((15 + 16 + 20 + 21) / 4.0));
  CHECK(adaptive_avg_pool2d(ramp, 1).item() == Approx(12.0));  // global average pooling
  CHECK(adaptive_avg_pool2d(ones({2, 3, 4, 6}), {2, 3}).shape() == Shape{2, 3, 2, 3});
}

TEST_CASE("errors: conv1d and conv2d name the op, the problem and the values", "[conv]") {
  const Tensor x = ones({1, 3, 5, 5}), w = ones({8, 3, 3, 3});
  REQUIRE_THROWS_AS(conv2d(ones({3, 4}), w), std::invalid_argument);
  REQUIRE_THROWS_WITH(conv2d(ones({3, 4}), w),
                      Contains("conv2d: input must be (N, C, H, W) or unbatched (C, H, W), got (3, 4)"));
  REQUIRE_THROWS_WITH(conv1d(ones({2, 3, 4, 5}), ones({2, 3, 3})),
                      Contains("conv1d: input must be (N, C, L) or unbatched (C, L), got (2, 3, 4, 5)"));
  REQUIRE_THROWS_WITH(conv2d(x, ones({2, 3, 3})),
                      Contains("conv2d: weight must be (out_channels, in_channels / groups, KH, KW), got (2, 3, 3)"));
  REQUIRE_THROWS_WITH(conv1d(ones({1, 3, 5}), ones({2, 3})),
                      Contains("conv1d: weight must be (out_channels, in_channels / groups, K), got (2, 3)"));
  REQUIRE_THROWS_WITH(conv2d(x, w, {}, {0, 1}), Contains("conv2d: stride must be positive, got (0, 1)"));
  REQUIRE_THROWS_WITH(conv1d(ones({1, 3, 5}), ones({2, 3, 3}), {}, -1),
                      Contains("conv1d: stride must be positive, got -1"));
  REQUIRE_THROWS_WITH(conv2d(x, w, {}, 1, 0, {1, 0}), Contains("conv2d: dilation must be positive, got (1, 0)"));
  REQUIRE_THROWS_WITH(conv2d(x, w, {}, 1, {-1, 0}), Contains("conv2d: padding must be non-negative, got (-1, 0)"));
  REQUIRE_THROWS_WITH(conv2d(x, w, {}, 1, 0, 1, 0), Contains("conv2d: groups must be positive, got 0"));
  REQUIRE_THROWS_WITH(conv2d(x, ones({4, 1, 3, 3}), {}, 1, 0, 1, 2),
                      Contains("conv2d: groups 2 does not divide the input's 3 channels (input (1, 3, 5, 5))"));
  REQUIRE_THROWS_WITH(
      conv2d(x, ones({8, 4, 3, 3})),
      Contains("conv2d: input has 3 channels but weight expects 4 (weight shape (8, 4, 3, 3), groups 1)"));
  REQUIRE_THROWS_WITH(
      conv2d(ones({1, 4, 5, 5}), ones({8, 1, 3, 3}), {}, 1, 0, 1, 2),
      Contains("conv2d: input has 4 channels but weight expects 2 (weight shape (8, 1, 3, 3), groups 2)"));
  REQUIRE_THROWS_WITH(
      conv2d(ones({1, 4, 5, 5}), ones({5, 2, 3, 3}), {}, 1, 0, 1, 2),
      Contains("conv2d: groups 2 does not divide the weight's 5 output channels (weight (5, 2, 3, 3))"));
  REQUIRE_THROWS_WITH(conv2d(x, w, ones({4})), Contains("conv2d: bias must be (8,) for weight (8, 3, 3, 3), got (4,)"));
  REQUIRE_THROWS_WITH(conv2d(x, w, ones({8, 1})), Contains("got (8, 1)"));
  REQUIRE_THROWS_WITH(conv2d(x, ones({8, 3, 0, 3})), Contains("conv2d: weight (8, 3, 0, 3) has an empty kernel"));
  REQUIRE_THROWS_WITH(conv2d(ones({1, 1, 4, 4}), ones({1, 1, 3, 3}), {}, 1, 0, 2),
                      Contains("conv2d: the kernel spans (5, 5) (kernel (3, 3), dilation (2, 2)) but the padded input "
                               "is only (4, 4) (input (1, 1, 4, 4), padding (0, 0)): the output would be empty"));
  REQUIRE_THROWS_WITH(conv1d(ones({1, 1, 4}), ones({1, 1, 5})),
                      Contains("conv1d: the kernel spans 5 (kernel 5, dilation 1) but the padded input is only 4 "
                               "(input (1, 1, 4), padding 0): the output would be empty"));
  CHECK_NOTHROW(conv1d(ones({1, 1, 4}), ones({1, 1, 5}), {}, 1, 1));  // padding makes room
  REQUIRE_THROWS_WITH(conv2d(x, w, {}, 1, std::numeric_limits<std::int64_t>::max() / 2),
                      Contains("more than any tensor can hold"));
}

TEST_CASE("errors: the pools name the op, the problem and the values", "[conv]") {
  const Tensor x = ones({1, 1, 4, 4});
  REQUIRE_THROWS_AS(max_pool2d(ones({4, 4}), 2), std::invalid_argument);
  REQUIRE_THROWS_WITH(max_pool2d(ones({4, 4}), 2),
                      Contains("max_pool2d: input must be (N, C, H, W) or unbatched (C, H, W), got (4, 4)"));
  REQUIRE_THROWS_WITH(avg_pool2d(ones({1, 1, 1, 4, 4}), 2), Contains("avg_pool2d: input must be"));
  REQUIRE_THROWS_WITH(max_pool2d(ones({1, 1, 0, 4}), 2),
                      Contains("max_pool2d: input (1, 1, 0, 4) has an empty spatial dim"));
  REQUIRE_THROWS_WITH(max_pool2d(x, {0, 2}), Contains("max_pool2d: kernel_size must be positive, got (0, 2)"));
  REQUIRE_THROWS_WITH(avg_pool2d(x, 2, 0), Contains("avg_pool2d: stride must be positive, got (0, 0)"));
  REQUIRE_THROWS_WITH(max_pool2d(x, 3, 1, -1), Contains("max_pool2d: padding must be non-negative, got (-1, -1)"));
  REQUIRE_THROWS_WITH(max_pool2d(x, 3, 1, 2),
                      Contains("max_pool2d: padding (2, 2) must be at most half of kernel_size (3, 3)"));
  REQUIRE_THROWS_WITH(avg_pool2d(x, {2, 4}, 1, {1, 3}),
                      Contains("avg_pool2d: padding (1, 3) must be at most half of kernel_size (2, 4)"));
  REQUIRE_THROWS_WITH(avg_pool2d(ones({1, 1, 2, 2}), 3),
                      Contains("avg_pool2d: kernel_size (3, 3) is larger than the padded input (2, 2) (input (1, 1, "
                               "2, 2), padding (0, 0)): the output would be empty"));
  REQUIRE_THROWS_WITH(adaptive_avg_pool2d(x, {0, 3}),
                      Contains("adaptive_avg_pool2d: output_size must be positive, got (0, 3)"));
  REQUIRE_THROWS_WITH(adaptive_avg_pool2d(x, -1), Contains("output_size must be positive, got (-1, -1)"));
  REQUIRE_THROWS_WITH(adaptive_avg_pool2d(ones({4}), 1), Contains("adaptive_avg_pool2d: input must be"));
  REQUIRE_THROWS_WITH(adaptive_avg_pool2d(ones({2, 3, 0}), 1),
                      Contains("adaptive_avg_pool2d: input (2, 3, 0) has an empty spatial dim"));
}
