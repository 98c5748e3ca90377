// Central-difference gradient checks and value checks for every core op.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <limits>

#include <attograd/core/core.hpp>

#include "../support/composite_paths.hpp"
#include "../support/gradcheck.hpp"

using namespace attograd;
using attograd::testing::allclose;
using attograd::testing::check_gradients;
using attograd::testing::random_input;
using Ts = std::vector<Tensor>;

TEST_CASE("sum_to undoes broadcasting") {
  Array g = xt::ones<float>({4, 5, 3});
  CHECK((sum_to(g, {5, 1}).shape() == Shape{5, 1}));
  CHECK(sum_to(g, {5, 1})(0, 0) == 12.0f);  // 4 (dim 0) × 3 (dim 2)
  CHECK((sum_to(g, {3})(0) == 20.0f));
  CHECK((sum_to(g, {})() == 60.0f));
  CHECK((sum_to(g, {4, 5, 3}) == g));
  Array a = from_vector({1, 2, 3, 4, 5, 6}, {2, 3}).value();
  CHECK((sum_to(a, {1, 3}) == from_vector({5, 7, 9}, {1, 3}).value()));
  CHECK((sum_to(a, {2, 1}) == from_vector({6, 15}, {2, 1}).value()));
  REQUIRE_THROWS_WITH(sum_to(a, {4, 2, 3}), Catch::Contains("larger rank"));
  REQUIRE_THROWS_WITH(sum_to(a, {2}), Catch::Contains("cannot be broadcast"));
}

TEST_CASE("broadcast_shapes follows NumPy") {
  CHECK(broadcast_shapes("t", {4, 1, 3}, {5, 1}) == Shape{4, 5, 3});
  CHECK(broadcast_shapes("t", {}, {2, 2}) == Shape{2, 2});
  CHECK(broadcast_shapes("t", {0, 1}, {1, 3}) == Shape{0, 3});
}

TEST_CASE("gradcheck: binary arithmetic, same shapes and broadcast") {
  for (auto [sa, sb] :
       std::vector<std::pair<Shape, Shape>>{{{2, 3}, {2, 3}}, {{2, 3, 4}, {3, 1}}, {{4}, {2, 1, 4}}, {{}, {3}}}) {
    INFO("shapes " << shape_str(sa) << " and " << shape_str(sb));
    CHECK(check_gradients([](const Ts& in) { return in[0] + in[1]; }, {random_input(sa), random_input(sb)}));
    CHECK(check_gradients([](const Ts& in) { return in[0] - in[1]; }, {random_input(sa), random_input(sb)}));
    CHECK(check_gradients([](const Ts& in) { return in[0] * in[1]; }, {random_input(sa), random_input(sb)}));
    CHECK(
        check_gradients([](const Ts& in) { return in[0] / in[1]; }, {random_input(sa), random_input(sb, 0.5f, 2.0f)}));
  }
}

TEST_CASE("gradcheck: scalar arithmetic") {
  Tensor x = random_input({3, 2}, 0.5f, 2.0f);
  CHECK(check_gradients([](const Ts& in) { return in[0] + 2.0f; }, {x}));
  CHECK(check_gradients([](const Ts& in) { return 3.0f * in[0]; }, {x}));
  CHECK(check_gradients([](const Ts& in) { return 1.0f - in[0]; }, {x}));
  CHECK(check_gradients([](const Ts& in) { return 2.0f / in[0]; }, {x}));
  CHECK(check_gradients([](const Ts& in) { return in[0] / 4.0f; }, {x}));
  CHECK(check_gradients([](const Ts& in) { return -in[0]; }, {x}));
}

TEST_CASE("gradcheck: unary functions") {
  Tensor x = random_input({2, 5});
  Tensor pos = random_input({2, 5}, 0.2f, 3.0f);
  CHECK(check_gradients([](const Ts& in) { return exp(in[0]); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return log(in[0]); }, {pos}));
  CHECK(check_gradients([](const Ts& in) { return sqrt(in[0]); }, {pos}));
  CHECK(check_gradients([](const Ts& in) { return abs(in[0]); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return tanh(in[0]); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return sigmoid(in[0]); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return relu(in[0]); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return gelu(in[0]); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return gelu(in[0], true); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return clamp(in[0], -0.5f, 0.5f); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return pow(in[0], 2.0f); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return pow(in[0], -1.5f); }, {pos}));
  CHECK(check_gradients([](const Ts& in) { return pow(in[0], 0.5f); }, {pos}));
}

TEST_CASE("unary values at the edges") {
  Tensor x = from_vector({-100.0f, 0.0f, 100.0f});
  CHECK(allclose(sigmoid(x).value(), from_vector({0.0f, 0.5f, 1.0f}).value()));
  CHECK(allclose(relu(x).value(), from_vector({0.0f, 0.0f, 100.0f}).value()));
  CHECK(allclose(clamp(x, -1.0f, 1.0f).value(), from_vector({-1.0f, 0.0f, 1.0f}).value()));
  CHECK(gelu(from_vector({1.0f})).item() == Approx(0.8413447f));
}

TEST_CASE("unary maps split over the threads (2^18 elements and more) give every element its own value") {
  // exp, tanh, sigmoid and gelu run fast_math's array forms on ranges of the array (map_fast,
  // for_each_range): an odd length, so the ranges' edges fall mid-vector. Each element, and gelu's
  // gradient, is compared with the scalar form at that element.
  const std::size_t n = (std::size_t{1} << 18) + 37;
  Tensor x = random_input({n}, -6.0f, 6.0f);
  const Tensor g = random_input({n});
  Tensor y = gelu(x);
  sum(mul(y, g)).backward();  // d/dx Σ g·gelu(x) = g · gelu'(x)
  const Array e = exp(x).value(), t = tanh(x).value(), s = sigmoid(x).value();
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x.value()(i);
    const fast::NormalTail tail = fast::normal_tail(v);
    const float slope = (v >= 0.0f ? 1.0f - tail.tail : tail.tail) + v * tail.density;
    // The scalar forms here may round differently (FMA contraction), not by more than an ulp or two.
    const auto near = [](float got, float want) {
      return std::fabs(got - want) <= 1e-6f * std::max(1.0f, std::fabs(want));
    };
    wrong += !near(e(i), fast::exp(v)) || !near(t(i), fast::tanh(v)) || !near(s(i), fast::sigmoid(v)) ||
             !near(y.value()(i), fast::gelu(v)) || !near(x.grad()(i), g.value()(i) * slope);
  }
  CHECK(wrong == 0);
}

TEST_CASE("gradcheck: reductions with dims and keepdim") {
  Tensor x = random_input({2, 3, 4});
  for (bool keep : {false, true}) {
    INFO("keepdim " << keep);
    CHECK(check_gradients([keep](const Ts& in) { return sum(in[0], {}, keep); }, {x}));
    CHECK(check_gradients([keep](const Ts& in) { return sum(in[0], {1}, keep); }, {x}));
    CHECK(check_gradients([keep](const Ts& in) { return sum(in[0], {0, -1}, keep); }, {x}));
    CHECK(check_gradients([keep](const Ts& in) { return mean(in[0], {2}, keep); }, {x}));
    CHECK(check_gradients([keep](const Ts& in) { return max(in[0], {1}, keep); }, {x}));
    CHECK(check_gradients([keep](const Ts& in) { return max(in[0], {}, keep); }, {x}));
    CHECK(check_gradients([keep](const Ts& in) { return min(in[0], {0, 2}, keep); }, {x}));
    CHECK(check_gradients([keep](const Ts& in) { return var(in[0], {1}, 1, keep); }, {x}));
    CHECK(check_gradients([keep](const Ts& in) { return var(in[0], {0, 2}, 0, keep); }, {x}));
  }
}

TEST_CASE("reduction values") {
  Tensor x = from_vector({1, 5, 3, 4, 2, 6}, {2, 3});
  CHECK(sum(x).item() == 21.0f);
  CHECK((sum(x, {0}).value() == from_vector({5, 7, 9}).value()));
  CHECK(sum(x, {1}, true).shape() == Shape{2, 1});
  CHECK((mean(x, {1}).value() == from_vector({3, 4}).value()));
  CHECK((max(x, {1}).value() == from_vector({5, 6}).value()));
  CHECK(min(x).item() == 1.0f);
  CHECK((var(x, {1}).value() == from_vector({4, 4}).value()));
  CHECK(var(x, {1}, 0).value()(0) == Approx(8.0f / 3.0f));
  CHECK((argmax(x, 1) == index_from_vector({1, 2}, {2})));
  CHECK((argmax(x, 0, true) == index_from_vector({1, 0, 1}, {1, 3})));
  CHECK((argmax(x)() == 5));
  // The gradient of max goes to the first maximum only.
  Tensor t = from_vector({1, 3, 3}, {3}, true);
  max(t).backward();
  CHECK((t.grad() == from_vector({0, 1, 0}).value()));
}

TEST_CASE("gradcheck: matmul in every layout") {
  const std::vector<std::pair<Shape, Shape>> cases{
      {{4}, {4}},          {{4}, {4, 3}},       {{3, 4}, {4}},          {{3, 4}, {4, 2}},
      {{2, 3, 4}, {4, 5}}, {{3, 4}, {2, 4, 5}}, {{2, 3, 4}, {2, 4, 2}}, {{2, 1, 3, 4}, {5, 4, 2}},
      {{2, 3, 4}, {4}}};
  for (auto [sa, sb] : cases) {
    INFO("matmul " << shape_str(sa) << " @ " << shape_str(sb));
    CHECK(check_gradients([](const Ts& in) { return matmul(in[0], in[1]); }, {random_input(sa), random_input(sb)}));
  }
}

TEST_CASE("matmul values and shapes") {
  Tensor a = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = from_vector({1, 0, 0, 1, 1, 1}, {3, 2});
  CHECK((matmul(a, b).value() == from_vector({4, 5, 10, 11}, {2, 2}).value()));
  CHECK(matmul(from_vector({1, 2, 3}), from_vector({4, 5, 6})).item() == 32.0f);
  CHECK(matmul(zeros({2, 1, 3, 4}), zeros({5, 4, 2})).shape() == Shape{2, 5, 3, 2});
  CHECK((matmul(zeros({3, 0}), zeros({0, 2})).value() == Array(xt::zeros<float>({3, 2}))));
  // Transposes are flags, and agree with the materialised transpose.
  Array at = transpose(a, 0, 1).value();
  CHECK((matmul_arrays(at, true, b.value(), false) == matmul(a, b).value()));
}

TEST_CASE("batched matmul shared out over the threads by batch matches a plain loop, broadcast batches included") {
  // (7, 9, 3, 5) @ (9, 5, 4): 63 small products, enough to be shared out over the threads (in
  // unequal parts); B is broadcast over the first batch dim, so each product's offsets differ.
  const Tensor a = random_input({7, 9, 3, 5}), b = random_input({9, 5, 4});
  const Array c = matmul(a, b).value();
  REQUIRE(c.shape() == Shape{7, 9, 3, 4});
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < 7; ++i)
    for (std::size_t j = 0; j < 9; ++j)
      for (std::size_t r = 0; r < 3; ++r)
        for (std::size_t col = 0; col < 4; ++col) {
          double sum = 0.0;
          for (std::size_t k = 0; k < 5; ++k) sum += a.value()(i, j, r, k) * b.value()(j, k, col);
          wrong += std::abs(c(i, j, r, col) - sum) > 1e-5 * (1.0 + std::abs(sum));
        }
  CHECK(wrong == 0);
  // The backward's products are batched the same way.
  CHECK(check_gradients([](const Ts& in) { return matmul(in[0], in[1]); },
                        {random_input({7, 9, 3, 5}), random_input({9, 5, 4})}));
}

TEST_CASE("gradcheck: shape ops") {
  Tensor x = random_input({2, 3, 4});
  CHECK(check_gradients([](const Ts& in) { return transpose(in[0], 0, 2); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return permute(in[0], {1, 2, 0}); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return reshape(in[0], {4, -1}); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return view(in[0], {24}); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return flatten(in[0], 1); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return unsqueeze(in[0], -1); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return squeeze(unsqueeze(in[0], 1), 1); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return slice(in[0], 2, 1, 4, 2); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return slice(in[0], 1, -2, 100); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return narrow(in[0], 0, 1, 1); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return expand(in[0], {2, 2, 3, 4}); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return broadcast_to(in[0], {3, 3}); }, {random_input({3, 1})}));
  Tensor y = random_input({2, 5, 4});
  CHECK(check_gradients([](const Ts& in) { return cat({in[0], in[1]}, 1); }, {x, y}));
  CHECK(check_gradients([](const Ts& in) { return cat({in[0], in[1], in[0]}, 0); }, {x, random_input({1, 3, 4})}));
  CHECK(check_gradients([](const Ts& in) { return stack({in[0], in[1]}, 1); }, {x, random_input({2, 3, 4})}));
  CHECK(check_gradients([](const Ts& in) { return split(in[0], 3, 1)[1] * 2.0f + split(in[0], 3, 1)[0]; },
                        {random_input({2, 6})}));
  CHECK(check_gradients([](const Ts& in) { return chunk(in[0], 3, -1)[2]; }, {random_input({2, 7})}));
}

TEST_CASE("shape op values") {
  Tensor x = arange(6.0f);
  CHECK((reshape(x, {2, 3}).value()(1, 0) == 3.0f));
  CHECK((transpose(reshape(x, {2, 3}), 0, 1).value()(2, 1) == 5.0f));
  CHECK((slice(x, 0, 1, 6, 2).value() == from_vector({1, 3, 5}).value()));
  CHECK((slice(x, 0, -2, 100).value() == from_vector({4, 5}).value()));
  CHECK(slice(x, 0, 4, 2).numel() == 0);
  CHECK(cat({x, x}).numel() == 12);
  CHECK(stack({x, x}, 1).shape() == Shape{6, 2});
  auto parts = split(x, SizeList{1, 5});
  CHECK((parts[1].value() == from_vector({1, 2, 3, 4, 5}).value()));
  auto chunks = chunk(arange(5.0f), 3);  // sizes 2, 2, 1 as torch.chunk
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[2].numel() == 1);
  CHECK(squeeze(zeros({1, 2, 1})).shape() == Shape{2});
  CHECK(flatten(zeros({2, 3, 4}), 0, 1).shape() == Shape{6, 4});
}

TEST_CASE("gradcheck: indexing") {
  Tensor x = random_input({4, 3});
  CHECK(check_gradients([](const Ts& in) { return index_select(in[0], 0, index_from_vector({3, 0, 3}, {3})); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return index_select(in[0], 1, index_from_vector({2, 1}, {2})); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return embedding(in[0], index_from_vector({1, 3, 1, 0}, {2, 2})); }, {x}));
  CHECK(check_gradients(
      [](const Ts& in) {
        return gather(in[0], 1, index_from_vector({0, 2, 1, 1, 2, 0, 0, 0}, {4, 2}));
      },
      {x}));
  CHECK(check_gradients([](const Ts& in) { return gather(in[0], 0, index_from_vector({3, 2, 1}, {1, 3})); }, {x}));
  Mask m = Mask::from_shape({1, 3});
  m(0, 0) = true, m(0, 1) = false, m(0, 2) = true;
  CHECK(check_gradients([m](const Ts& in) { return masked_fill(in[0], m, -5.0f); }, {x}));
  CHECK(check_gradients([m](const Ts& in) { return where(m, in[0], in[1]); }, {x, random_input({4, 1})}));
  CHECK(check_gradients([](const Ts& in) { return tril(in[0]); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return triu(in[0], 1); }, {random_input({2, 3, 3})}));
  CHECK(check_gradients([](const Ts& in) { return topk(in[0], 2, 1).values; }, {x}));
}

TEST_CASE("indexing values") {
  Tensor w = reshape(arange(6.0f), {3, 2});
  CHECK((embedding(w, index_from_vector({2, 0}, {2})).value() == from_vector({4, 5, 0, 1}, {2, 2}).value()));
  // The padding row receives no gradient.
  Tensor wp = ones({3, 2}, true);
  sum(embedding(wp, index_from_vector({0, 1, 1}, {3}), 1)).backward();
  CHECK((wp.grad() == from_vector({1, 1, 0, 0, 0, 0}, {3, 2}).value()));
  auto top = topk(from_vector({3, 1, 4, 1, 5}), 3);
  CHECK((top.values.value() == from_vector({5, 4, 3}).value()));
  CHECK((top.indices == index_from_vector({4, 2, 0}, {3})));
  CHECK((topk(from_vector({3, 1, 4}), 2, 0, false).indices == index_from_vector({1, 0}, {2})));
  CHECK((one_hot(index_from_vector({2, 0}, {2}), 3).value() == from_vector({0, 0, 1, 1, 0, 0}, {2, 3}).value()));
  CHECK((tril_mask(2, 3) == Mask{{true, false, false}, {true, true, false}}));
  CHECK((triu_mask(2, 2, 1) == Mask{{false, true}, {false, false}}));
  CHECK((eq(from_vector({1, 2}), from_vector({1, 3})) == Mask{true, false}));
  CHECK((gt(from_vector({1, 2}), 1.5f) == Mask{false, true}));
  CHECK((lt(from_vector({1, 2}), reshape(from_vector({2, 0}), {2, 1})) == Mask{{true, false}, {false, false}}));
  CHECK((ge(from_vector({1, 2}), from_vector({1, 3})) == Mask{true, false}));
  CHECK((le(from_vector({1, 2}), from_vector({1, 3})) == Mask{true, true}));
  CHECK((ne(from_vector({1, 2}), from_vector({1, 3})) == Mask{false, true}));
}

TEST_CASE("gradcheck: softmax family, layer norm, dropout") {
  Tensor x = random_input({3, 5}, -2.0f, 2.0f);
  CHECK(check_gradients([](const Ts& in) { return softmax(in[0], -1); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return softmax(in[0], 0); }, {x}));
  CHECK(check_gradients([](const Ts& in) { return log_softmax(in[0], 1); }, {x}));
  Tensor w = random_input({5}), b = random_input({5});
  CHECK(check_gradients([](const Ts& in) { return layer_norm(in[0], {5}, in[1], in[2]); }, {x, w, b}));
  CHECK(check_gradients([](const Ts& in) { return layer_norm(in[0], {2, 3}); }, {random_input({2, 2, 3})}));
  // Dropout with a fresh generator per call, so every evaluation draws the same mask.
  CHECK(check_gradients(
      [](const Ts& in) {
        Generator g(5);
        return dropout(in[0], 0.4f, true, &g);
      },
      {x}));
}

TEST_CASE("softmax is stable and dropout scales") {
  Tensor big = from_vector({1000.0f, 1000.0f, -1000.0f});
  CHECK(allclose(softmax(big, 0).value(), from_vector({0.5f, 0.5f, 0.0f}).value()));
  CHECK(log_softmax(big, 0).value()(2) == Approx(-2000.0f - std::log(2.0f)));
  Tensor x = ones({10000});
  Tensor kept = dropout(x, 0.25f, true);
  int zeros_seen = 0;
  for (float v : kept.value()) {
    if (v == 0.0f)
      ++zeros_seen;
    else
      CHECK(v == Approx(1.0f / 0.75f));
  }
  CHECK(zeros_seen == Approx(2500).margin(200));
  CHECK(dropout(x, 0.25f, false).is_same(x));
  CHECK(sum(dropout(x, 1.0f, true)).item() == 0.0f);
}

TEST_CASE("gradcheck: losses") {
  Tensor logits = random_input({4, 5}, -2.0f, 2.0f);
  Index targets = index_from_vector({1, 0, 4, 2}, {4});
  Index with_ignored = index_from_vector({1, -100, 4, 2}, {4});
  CHECK(check_gradients([&](const Ts& in) { return cross_entropy(in[0], targets); }, {logits}));
  CHECK(check_gradients([&](const Ts& in) { return cross_entropy(in[0], with_ignored, {.label_smoothing = 0.1f}); },
                        {logits}));
  CHECK(check_gradients([&](const Ts& in) { return cross_entropy(in[0], targets, {.reduction = Reduction::None}); },
                        {logits}));
  CHECK(check_gradients(
      [&](const Ts& in) {
        return cross_entropy(in[0], index_from_vector({1, 2, 0, 0, 3, 1}, {2, 3}));
      },
      {random_input({2, 5, 3})}));
  CHECK(check_gradients([&](const Ts& in) { return nll_loss(log_softmax(in[0], 1), with_ignored); }, {logits}));
  CHECK(check_gradients([](const Ts& in) { return mse_loss(in[0], in[1]); },
                        {random_input({3, 2}), random_input({3, 2})}));
  CHECK(check_gradients([](const Ts& in) { return binary_cross_entropy_with_logits(in[0], in[1], Reduction::Sum); },
                        {random_input({3, 2}, -3.0f, 3.0f), random_input({3, 2}, 0.0f, 1.0f)}));
}

TEST_CASE("fused cross_entropy agrees with the composite version") {
  Tensor logits = random_input({6, 7}, -3.0f, 3.0f);
  Index targets = index_from_vector({1, 0, 6, -100, 2, 5}, {6});
  for (float smoothing : {0.0f, 0.2f})
    for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
      CrossEntropyOptions o{.ignore_index = -100, .label_smoothing = smoothing, .reduction = r};
      Tensor a = logits.detach().requires_grad_(), b = logits.detach().requires_grad_();
      Tensor fused = cross_entropy(a, targets, o), composite = cross_entropy_composite(b, targets, o);
      CHECK(allclose(fused.value(), composite.value(), 1e-5f, 1e-6f));
      sum(fused).backward();
      sum(composite).backward();
      CHECK(allclose(a.grad(), b.grad(), 1e-5f, 1e-6f));
    }
}

TEST_CASE("loss values") {
  Tensor logits = from_vector({0.0f, 0.0f, 0.0f, 0.0f}, {1, 4});
  CHECK(cross_entropy(logits, index_from_vector({2}, {1})).item() == Approx(std::log(4.0f)));
  CHECK(std::isnan(
      cross_entropy(logits, index_from_vector({-100}, {1})).item()));  // every target ignored: 0/0, as PyTorch
  CHECK(cross_entropy(from_vector({0, 0}), Index(std::int64_t{1})).item() == Approx(std::log(2.0f)));
  CHECK(mse_loss(from_vector({1, 2}), from_vector({1, 4})).item() == 2.0f);
  CHECK(binary_cross_entropy_with_logits(from_vector({0}), from_vector({1})).item() == Approx(std::log(2.0f)));
  CHECK(binary_cross_entropy_with_logits(from_vector({-200}), from_vector({0})).item() == Approx(0.0f));
}

TEST_CASE("gradcheck: linear and matmul_transposed") {
  CHECK(check_gradients([](const Ts& in) { return linear(in[0], in[1], in[2]); },
                        {random_input({2, 3, 4}), random_input({5, 4}), random_input({5})}));
  CHECK(
      check_gradients([](const Ts& in) { return linear(in[0], in[1]); }, {random_input({3, 4}), random_input({2, 4})}));
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      INFO("transpose_a " << ta << ", transpose_b " << tb);
      const Shape sa = ta ? Shape{2, 4, 3} : Shape{2, 3, 4}, sb = tb ? Shape{5, 4} : Shape{4, 5};
      CHECK(check_gradients([ta, tb](const Ts& in) { return matmul_transposed(in[0], in[1], ta, tb); },
                            {random_input(sa), random_input(sb)}));
    }
}

TEST_CASE("linear's backward shared over the threads agrees with matmul's, whichever inputs need gradients") {
  // (301, 64) by (67, 64)ᵀ: over 2^20 multiply-adds, so the backward's dx rows, dW rows and db
  // entries are cut into parts (odd sizes: unequal parts).
  const Tensor x0 = random_input({301, 64}), w0 = random_input({67, 64}), b0 = random_input({67}),
               up = random_input({301, 67});
  for (int needs = 1; needs < 8; ++needs) {
    const bool gx = needs & 1, gw = needs & 2, gb = needs & 4;
    INFO("x " << gx << ", w " << gw << ", b " << gb);
    Ts a{x0.detach().requires_grad_(gx), w0.detach().requires_grad_(gw), b0.detach().requires_grad_(gb)};
    Ts c{x0.detach().requires_grad_(gx), w0.detach().requires_grad_(gw), b0.detach().requires_grad_(gb)};
    sum(linear(a[0], a[1], a[2]) * up).backward();
    sum((matmul(c[0], transpose(c[1], 0, 1)) + c[2]) * up).backward();
    for (std::size_t i = 0; i < 3; ++i)
      if (a[i].requires_grad()) CHECK(allclose(a[i].grad(), c[i].grad(), 1e-4f, 1e-4f));
  }
}

TEST_CASE("linear adds into a gradient its inputs already have, as a separate sum would") {
  // A weight, bias and input each used three times (an RNN's weights at every step): from the
  // second use on, linear's backward adds its share straight into the existing gradient. Small
  // (one part) and over 2^20 multiply-adds (dx, dW, db cut into parts); anomaly mode takes the
  // other path (each share made apart, checked, then added), and must agree.
  for (const auto& [rows, n_in, n_out] : {std::array<std::size_t, 3>{5, 4, 3}, {301, 64, 67}}) {
    const Tensor x0 = random_input({rows, n_in}), w0 = random_input({n_out, n_in}), b0 = random_input({n_out});
    const Tensor up = random_input({rows, n_out});
    const auto run = [&](bool use_linear) {
      Ts p{x0.detach().requires_grad_(), w0.detach().requires_grad_(), b0.detach().requires_grad_()};
      const auto layer = [&](const Tensor& x) {
        return use_linear ? linear(x, p[1], p[2]) : matmul(x, transpose(p[1], 0, 1)) + p[2];
      };
      Tensor total = sum(layer(p[0]) * up) + sum(layer(p[0] * 0.5f) * up) + sum(layer(tanh(p[0])) * up);
      total.backward(/*retain_graph=*/true);
      total.backward();  // a second backward adds onto gradients from the first
      return p;
    };
    const Ts reference = run(false), direct = run(true);
    set_anomaly_enabled(true);
    const Ts checked = run(true);
    set_anomaly_enabled(false);
    for (std::size_t i = 0; i < 3; ++i) {
      INFO("rows " << rows << ", input " << i);
      CHECK(allclose(direct[i].grad(), reference[i].grad(), 1e-4f, 1e-4f));
      CHECK(allclose(checked[i].grad(), reference[i].grad(), 1e-4f, 1e-4f));
    }
  }
  // One tensor as both input and weight: its two shares must not be added in at the same time.
  CHECK(check_gradients([](const Ts& in) { return linear(in[0], in[0]) + linear(in[0], in[0]); },
                        {random_input({4, 4})}));
  const Tensor big = random_input({128, 128});
  Tensor a = big.detach().requires_grad_(), c = big.detach().requires_grad_();
  sum(linear(a, a) + linear(a, a)).backward();
  const Tensor d = c.detach().requires_grad_(), e = c.detach().requires_grad_();
  sum(matmul(d, transpose(e, 0, 1)) * 2.0f).backward();
  CHECK(attograd::allclose(a.grad(), Array(d.grad() + e.grad()), 1e-4f, 1e-4f));
}

TEST_CASE("a gradient passed on unchanged is copied in, added in place, or summed over broadcast dims") {
  // copy_of: the same values in new storage, small and split over the threads (>= 2^16 floats).
  for (const Shape& shape : {Shape{3, 4}, Shape{300, 301}}) {
    const Array a = random_input(shape).value();
    const Array c = copy_of(a);
    CHECK(c.shape() == a.shape());
    CHECK(c == a);
    CHECK(c.data() != a.data());
  }
  // add's backward hands g on with accumulate_grad_from: x's first share is copied in, the
  // second added in place; b's share is summed over the broadcast rows.
  for (const std::size_t n : {5, 70000}) {
    const Tensor x = random_input({n}), c = random_input({n}), u = random_input({n}), v = random_input({n});
    const Tensor b = random_input({1});
    sum((x + c) * u + (x + b) * v).backward();
    CHECK(attograd::allclose(x.grad(), Array(u.value() + v.value()), 1e-6f, 1e-6f));
    CHECK(b.grad()(0) == Approx(xt::sum(v.value())()).epsilon(1e-4));
    // A second backward adds onto the first (in place for x, u and v alike).
    const Array first = x.grad();
    sum((x + c) * u).backward();
    CHECK(attograd::allclose(x.grad(), Array(first + u.value()), 1e-6f, 1e-6f));
  }
  // In anomaly mode every share is copied and checked on its own: the same gradient.
  Tensor x = random_input({70000});
  const Tensor u = random_input({70000});
  sum((x + 1.0f) * u + (x + 2.0f) * u).backward();
  const Array plain = x.grad();
  x.zero_grad();
  set_anomaly_enabled(true);
  sum((x + 1.0f) * u + (x + 2.0f) * u).backward();
  set_anomaly_enabled(false);
  CHECK(x.grad() == plain);
}

TEST_CASE("linear and matmul_transposed agree with matmul and transpose") {
  Tensor x = random_input({2, 3, 4}), w = random_input({5, 4}), b = random_input({5});
  CHECK(allclose(linear(x, w, b).value(), (matmul(x, transpose(w, 0, 1)) + b).value(), 1e-5f, 1e-6f));
  Tensor q = random_input({2, 3, 4}), k = random_input({2, 6, 4});
  CHECK(allclose(matmul_transposed(q, k, false, true).value(), matmul(q, transpose(k, 1, 2)).value(), 1e-5f, 1e-6f));
  REQUIRE_THROWS_WITH(linear(x, random_input({5, 3})),
                      Catch::Contains("linear: input (2, 3, 4) does not end in the weight's in_features 3"));
  REQUIRE_THROWS_WITH(linear(x, w, random_input({4})),
                      Catch::Contains("linear: bias must be (5,) for weight (5, 4), got (4,)"));
  REQUIRE_THROWS_WITH(linear(x, random_input({4})), Catch::Contains("linear: weight must be (out, in), got (4,)"));
  REQUIRE_THROWS_WITH(matmul_transposed(q, k, false, false), Catch::Contains("inner dimensions 4 and 6 differ"));
  REQUIRE_THROWS_WITH(matmul_transposed(q, random_input({4}), false, true), Catch::Contains("need at least 2 dims"));
}

TEST_CASE("fused softmax, log_softmax and layer_norm agree with their composite versions") {
  auto agree = [](const std::function<Tensor(const Ts&)>& fused, const std::function<Tensor(const Ts&)>& composite,
                  const std::vector<Shape>& shapes) {
    Ts a, b;
    for (const Shape& s : shapes) {
      Tensor t = random_input(s, -3.0f, 3.0f);
      a.push_back(t.detach().requires_grad_());
      b.push_back(t.detach().requires_grad_());
    }
    Tensor ya = fused(a), yb = composite(b);
    CHECK(allclose(ya.value(), yb.value(), 1e-5f, 1e-6f));
    Tensor up = random_input(ya.shape());
    sum(ya * up.detach()).backward();
    sum(yb * up.detach()).backward();
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(allclose(a[i].grad(), b[i].grad(), 1e-4f, 1e-5f));
  };
  for (int dim : {0, 1, -1}) {
    INFO("dim " << dim);
    agree([dim](const Ts& in) { return softmax(in[0], dim); },
          [dim](const Ts& in) { return softmax_composite(in[0], dim); }, {{3, 4, 5}});
    agree([dim](const Ts& in) { return log_softmax(in[0], dim); },
          [dim](const Ts& in) { return log_softmax_composite(in[0], dim); }, {{3, 4, 5}});
  }
  agree([](const Ts& in) { return layer_norm(in[0], {5}, in[1], in[2]); },
        [](const Ts& in) { return layer_norm_composite(in[0], {5}, in[1], in[2]); }, {{3, 4, 5}, {5}, {5}});
  agree(
      [](const Ts& in) {
        return layer_norm(in[0], {4, 5});
      },
      [](const Ts& in) {
        return layer_norm_composite(in[0], {4, 5});
      },
      {{3, 4, 5}});
  agree([](const Ts& in) { return layer_norm(in[0], {5}, Tensor(), in[1]); },
        [](const Ts& in) { return layer_norm_composite(in[0], {5}, Tensor(), in[1]); }, {{2, 5}, {5}});
  // Rows enough to be shared out over the threads (an odd count: unequal parts), whose weight
  // and bias gradients are summed part by part.
  agree([](const Ts& in) { return layer_norm(in[0], {128}, in[1], in[2]); },
        [](const Ts& in) { return layer_norm_composite(in[0], {128}, in[1], in[2]); }, {{601, 128}, {128}, {128}});
}
