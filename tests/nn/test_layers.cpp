// Linear, Embedding, LayerNorm, Dropout, the activations and Sequential: shapes, initial
// values, gradient checks, train/eval behaviour and error messages.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <numbers>

#include <xtensor/xmath.hpp>

#include <attograd/core/core.hpp>
#include <attograd/nn/nn.hpp>

#include "../support/gradcheck.hpp"
#include "nn_test_support.hpp"

using namespace attograd;
using attograd::testing::check_gradients;
using attograd::testing::random_input;
using Catch::Contains;
using Ts = std::vector<Tensor>;

namespace {
Index index_of(std::vector<std::int64_t> v, const Shape& shape) {
  Index ids = Index::from_shape(shape);
  std::copy(v.begin(), v.end(), ids.begin());
  return ids;
}
}  // namespace

TEST_CASE("Linear: shapes, names and PyTorch's default init") {
  manual_seed(3);
  nn::Linear linear(64, 8);
  const auto named = linear.named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[0].first == "weight");
  CHECK(named[1].first == "bias");
  CHECK(linear.weight.shape() == Shape{8, 64});
  CHECK(linear.bias.shape() == Shape{8});
  const float bound = 1.0f / 8.0f;  // 1/√64
  for (float v : linear.weight.value()) CHECK(std::abs(v) <= bound);
  for (float v : linear.bias.value()) CHECK(std::abs(v) <= bound);
  CHECK(xt::amax(xt::abs(linear.weight.value()))() > 0.9f * bound);

  CHECK(linear.forward(ones({64})).shape() == Shape{8});
  CHECK(linear.forward(ones({5, 64})).shape() == Shape{5, 8});
  CHECK(linear(ones({2, 3, 64})).shape() == Shape{2, 3, 8});
  CHECK(linear.describe() == "Linear(in_features=64, out_features=8, bias=true)");

  nn::Linear no_bias(3, 2, false);
  CHECK(no_bias.named_parameters().size() == 1);
  CHECK_FALSE(no_bias.bias.defined());
  Tensor x = from_vector({1, 2, 3}, {1, 3});
  no_bias.weight.mutable_value() = from_vector({1, 0, 0, 0, 1, 1}, {2, 3}).value();
  CHECK((no_bias(x).value() == from_vector({1, 5}, {1, 2}).value()));
}

TEST_CASE("gradcheck: Linear on 1-D, 2-D and 3-D inputs") {
  manual_seed(4);
  nn::Linear linear(4, 3);
  for (const Shape& shape : {Shape{4}, Shape{2, 4}, Shape{2, 3, 4}}) {
    INFO("input " << shape_str(shape));
    CHECK(check_gradients([&](const Ts& in) { return linear(in[0]); },
                          {random_input(shape), linear.weight, linear.bias}));
  }
}

TEST_CASE("Linear: errors name the layer and the shapes") {
  nn::Linear linear(4, 3);
  REQUIRE_THROWS_AS(linear(ones({2, 5})), std::invalid_argument);
  REQUIRE_THROWS_WITH(
      linear(ones({2, 5})),
      Contains("Linear(in_features=4, out_features=3, bias=true): expected input of shape (..., 4), got (2, 5)"));
  REQUIRE_THROWS_WITH(linear(scalar_tensor(1.0f)), Contains("expected input of shape (..., 4), got ()"));
}

TEST_CASE("Embedding: lookup, N(0, 1) init and a padding row that stays zero") {
  manual_seed(5);
  nn::Embedding big(1000, 50);
  const Array& w = big.weight.value();
  CHECK(xt::mean(w)() == Approx(0.0).margin(0.02));
  CHECK(std::sqrt(xt::mean(w * w)()) == Approx(1.0).epsilon(0.02));

  nn::Embedding emb(6, 3, 4);
  CHECK(emb.padding_idx() == 4);
  CHECK(emb.weight.shape() == Shape{6, 3});
  for (std::size_t e = 0; e < 3; ++e) CHECK(emb.weight.value()(4, e) == 0.0f);
  const Index ids = index_of({1, 4, 4, 0, 5, 1}, {2, 3});
  const Tensor y = emb(ids);  // (2, 3, 3)
  REQUIRE(y.shape() == Shape{2, 3, 3});
  for (std::size_t e = 0; e < 3; ++e) {
    CHECK(y.value()(0, 0, e) == emb.weight.value()(1, e));
    CHECK(y.value()(1, 1, e) == emb.weight.value()(5, e));
    CHECK(y.value()(0, 1, e) == 0.0f);
  }
  sum(y * y + y).backward();
  const Array& g = emb.weight.grad();
  for (std::size_t e = 0; e < 3; ++e) {
    CHECK(g(4, e) == 0.0f);  // the padding row: no gradient, though it was looked up twice
    CHECK(g(2, e) == 0.0f);  // never looked up
    CHECK(g(1, e) == Approx(2.0f * (2.0f * emb.weight.value()(1, e) + 1.0f)));
  }
  CHECK(nn::Embedding(6, 3, -1).padding_idx() == 5);  // negative counts from the end
  CHECK(emb.describe() == "Embedding(6, 3, padding_idx=4)");
}

TEST_CASE("gradcheck: Embedding") {
  // Without padding: the checker would perturb the padding row, which (as in PyTorch) changes
  // the output but by design gets no gradient.
  manual_seed(6);
  nn::Embedding emb(5, 3);
  const Index ids = index_of({0, 3, 3, 1, 4, 0}, {3, 2});
  CHECK(check_gradients([&](const Ts&) { return emb(ids); }, {emb.weight}));
}

TEST_CASE("Embedding: errors") {
  REQUIRE_THROWS_WITH(nn::Embedding(5, 3, 5),
                      Contains("Embedding: padding_idx 5 is out of range for 5 embeddings (valid: -5 to 4)"));
  REQUIRE_THROWS_WITH(nn::Embedding(5, 3, -6), Contains("padding_idx -6 is out of range"));
  nn::Embedding emb(5, 3);
  REQUIRE_THROWS_AS(emb(index_of({1, 7}, {2})), std::invalid_argument);
  REQUIRE_THROWS_WITH(emb(index_of({1, 7}, {2})),
                      Contains("embedding: token id 7 at position (1,) is out of range for a vocabulary of 5"));
  REQUIRE_THROWS_WITH(emb(index_of({-1}, {1})), Contains("token id -1"));
}

TEST_CASE("LayerNorm: normalises the trailing dims, starts as the identity affine map") {
  nn::LayerNorm norm(4);
  CHECK(norm.weight.shape() == Shape{4});
  CHECK((norm.weight.value() == xt::ones<float>({4})));
  CHECK((norm.bias.value() == xt::zeros<float>({4})));
  const Tensor y = norm(from_vector({1, 2, 3, 4, -1, -1, 1, 1}, {2, 4}));
  const float s = 1.0f / std::sqrt(1.25f + 1e-5f);  // var of (1, 2, 3, 4) is 1.25
  CHECK(y.value()(0, 0) == Approx(-1.5f * s));
  CHECK(y.value()(0, 3) == Approx(1.5f * s));
  CHECK(y.value()(1, 0) == Approx(-1.0f / std::sqrt(1.0f + 1e-5f)));

  nn::LayerNorm plain(Shape{2, 3}, 1e-6f, false);
  CHECK(plain.named_parameters().empty());
  CHECK(plain(ones({5, 2, 3})).shape() == Shape{5, 2, 3});
  CHECK(plain.describe() == "LayerNorm((2, 3), eps=1e-06, elementwise_affine=false)");
}

TEST_CASE("gradcheck: LayerNorm over one and two trailing dims") {
  manual_seed(7);
  nn::LayerNorm one(4);
  nn::init::uniform_(one.weight, 0.5, 1.5);
  nn::init::uniform_(one.bias, -0.5, 0.5);
  CHECK(check_gradients([&](const Ts& in) { return one(in[0]); }, {random_input({3, 4}), one.weight, one.bias}));
  nn::LayerNorm two(Shape{2, 3});
  nn::init::uniform_(two.weight, 0.5, 1.5);
  CHECK(check_gradients([&](const Ts& in) { return two(in[0]); }, {random_input({2, 2, 3}), two.weight, two.bias}));
}

TEST_CASE("LayerNorm: errors") {
  nn::LayerNorm norm(Shape{3, 4});
  REQUIRE_THROWS_AS(norm(ones({2, 4, 3})), std::invalid_argument);
  REQUIRE_THROWS_WITH(
      norm(ones({2, 4, 3})),
      Contains("layer_norm: normalized_shape (3, 4) does not match the trailing dims of input (2, 4, 3)"));
  REQUIRE_THROWS_WITH(norm(ones({4})),
                      Contains("normalized_shape (3, 4) does not match the trailing dims of input (4,)"));
  REQUIRE_THROWS_WITH(nn::LayerNorm(Shape{}), Contains("LayerNorm: normalized_shape must have at least one dim"));
  REQUIRE_THROWS_WITH(nn::LayerNorm(4, 0.0f), Contains("LayerNorm: eps must be positive, got 0"));
}

TEST_CASE("Dropout: active while training, the identity after eval()") {
  manual_seed(8);
  nn::Dropout drop(0.25f);
  const Tensor x = ones({100, 100});
  const Array y = drop(x).value();
  std::size_t zeros_seen = 0;
  for (float v : y) {
    if (v == 0.0f)
      ++zeros_seen;
    else
      CHECK(v == Approx(1.0f / 0.75f));
  }
  CHECK(static_cast<double>(zeros_seen) / 10000.0 == Approx(0.25).margin(0.02));

  drop.eval();
  CHECK((drop(x).value() == x.value()));
  drop.train();
  CHECK_FALSE((drop(x).value() == x.value()));
  CHECK((nn::Dropout(0.0f)(x).value() == x.value()));
  CHECK(xt::amax(nn::Dropout(1.0f)(x).value())() == 0.0f);
  CHECK(drop.describe() == "Dropout(p=0.25)");
  REQUIRE_THROWS_WITH(nn::Dropout(1.5f), Contains("Dropout: p must be in [0, 1], got 1.5"));
  REQUIRE_THROWS_WITH(nn::Dropout(-0.1f), Contains("Dropout: p must be in [0, 1], got -0.1"));
}

TEST_CASE("gradcheck: Dropout with a fixed mask") {
  nn::Dropout drop(0.4f);
  // Reseeding inside f draws the same mask on every evaluation the checker makes.
  CHECK(check_gradients(
      [&](const Ts& in) {
        manual_seed(9);
        return drop(in[0]);
      },
      {random_input({4, 5})}));
}

TEST_CASE("activations: values and gradcheck") {
  const Tensor x = from_vector({-2, -0.5, 0.5, 2});
  nn::ReLU relu_module;
  nn::GELU gelu_module, gelu_tanh(true);
  nn::Tanh tanh_module;
  nn::Sigmoid sigmoid_module;
  CHECK((relu_module(x).value() == from_vector({0, 0, 0.5, 2}).value()));
  CHECK(gelu_module(x).value()(3) == Approx(2.0 * 0.5 * (1.0 + std::erf(2.0 / std::sqrt(2.0)))));
  CHECK(gelu_tanh(x).value()(3) ==
        Approx(0.5 * 2.0 * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (2.0 + 0.044715 * 8.0)))));
  CHECK(tanh_module(x).value()(0) == Approx(std::tanh(-2.0)));
  CHECK(sigmoid_module(x).value()(2) == Approx(1.0 / (1.0 + std::exp(-0.5))));
  CHECK(gelu_tanh.describe() == "GELU(approximate=tanh)");

  const Tensor away_from_zero = from_vector({-0.9f, -0.3f, 0.2f, 0.7f, 1.1f, -1.4f}, {2, 3}, true);
  for (nn::UnaryModule* m :
       std::vector<nn::UnaryModule*>{&relu_module, &gelu_module, &gelu_tanh, &tanh_module, &sigmoid_module}) {
    INFO(m->describe());
    CHECK(check_gradients([&](const Ts& in) { return m->forward(in[0]); }, {away_from_zero}));
  }
}

TEST_CASE("Sequential: children named by position, forward in order") {
  manual_seed(10);
  auto first = std::make_shared<nn::Linear>(3, 4);
  nn::Sequential net{first, std::make_shared<nn::Tanh>(), std::make_shared<nn::Linear>(4, 2)};
  REQUIRE(net.size() == 3);
  CHECK(net[0] == first);
  std::vector<std::string> names;
  for (const auto& [name, _] : net.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  std::vector<std::string> child_names;
  for (const auto& [name, _] : net.named_children()) child_names.push_back(name);
  CHECK(child_names == std::vector<std::string>{"0", "1", "2"});

  const Tensor x = random_input({5, 3});
  const Tensor by_hand = net[2]->forward(tanh(first->forward(x)));
  CHECK((net(x).value() == by_hand.value()));

  net.push_back(std::make_shared<nn::ReLU>());
  CHECK(net.named_children().back().first == "3");
  CHECK(net(x).shape() == Shape{5, 2});
  CHECK(nn::Sequential()(x).is_same(x));  // empty: the identity

  Ts inputs{random_input({2, 3})};
  for (const Tensor& p : net.parameters()) inputs.push_back(p);
  CHECK(check_gradients([&](const Ts& in) { return net(in[0]); }, inputs));

  REQUIRE_THROWS_WITH(net[4], Contains("Sequential: index 4 is out of range for 4 modules"));
  REQUIRE_THROWS_WITH(net.push_back(nullptr), Contains("Sequential: module 4 is null"));
  REQUIRE_THROWS_WITH(
      net(ones({5, 7})),
      Contains("Linear(in_features=3, out_features=4, bias=true): expected input of shape (..., 3), got (5, 7)"));
}
