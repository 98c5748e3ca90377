// docs/extending.md's worked example (examples/extending), tested the way the guide tells a user
// to test their own op and layer: gradcheck on the backward, agreement with PyTorch on
// committed fixtures (tests/golden/make_extending_fixtures.py), and every error message.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <xtensor/xview.hpp>

#include <attograd/attograd.hpp>

#include "../nn/reset_parameters_check.hpp"
#include "location_attention.hpp"
#include "smooth_focus.hpp"

using namespace attograd;
using Catch::Matchers::Contains;
using extending::LocationAttention;
using extending::smooth_focus;

namespace {

const SafetensorsContent& fixture() {
  static const SafetensorsContent content =
      load_safetensors(std::string(ATTOGRAD_TEST_DATA_DIR) + "/golden/data/extending.safetensors");
  return content;
}
const Array& entry(const std::string& name) { return fixture().at(name); }
Tensor leaf(const std::string& name) { return Tensor(entry(name), true); }

// The case's parameters, as a state dict for load_state_dict.
StateDict parameters_of(const std::string& c, const nn::Module& m) {
  StateDict dict;
  for (const auto& [name, p] : m.named_parameters()) dict.emplace_back(name, Tensor(entry(c + "/param/" + name)));
  return dict;
}

// The composite twin of smooth_focus, from core ops: σ(x) / Σ σ(x).
Tensor smooth_focus_composite(const Tensor& x) {
  const Tensor s = sigmoid(x);
  return s / sum(s, {-1}, true);
}

// Σ_j w[r, j] for each row r of a 2-D array.
Array row_sums(const Array& w) {
  Array sums = xt::zeros<float>({w.shape()[0]});
  for (std::size_t r = 0; r < w.shape()[0]; ++r)
    for (std::size_t j = 0; j < w.shape()[1]; ++j) sums(r) += w(r, j);
  return sums;
}

LocationAttention fixture_layer(LocationAttention::Focus focus) {
  return LocationAttention(5, 4, 7, 3, 5, focus);  // Dq, Dk, A, k filters, width r (as the script)
}

}  // namespace

TEST_CASE("smooth_focus: rows sum to 1, agree with the composite twin, and a blocked row is all 0") {
  const Tensor x = randn({3, 5});
  const Tensor y = smooth_focus(x);
  CHECK(attograd::allclose(row_sums(y.value()), Array(xt::ones<float>({3}))));
  CHECK(attograd::allclose(y.value(), smooth_focus_composite(x).value()));

  Array blocked = x.value();
  xt::view(blocked, 1, xt::all()) = -std::numeric_limits<float>::infinity();
  xt::view(blocked, 2, xt::range(0, 2)) = -std::numeric_limits<float>::infinity();
  const Tensor xb(blocked, true);
  const Tensor yb = smooth_focus(xb);
  CHECK(xt::all(xt::equal(xt::view(yb.value(), 1, xt::all()), 0.0f)));
  CHECK(yb.value()(2, 0) == 0.0f);
  CHECK(std::abs(row_sums(yb.value())(2) - 1.0f) < 1e-6f);
  sum(yb * yb).backward();
  CHECK(xt::all(xt::isfinite(xb.grad())));
  CHECK(xt::all(xt::equal(xt::view(xb.grad(), 1, xt::all()), 0.0f)));
}

TEST_CASE("smooth_focus: the hand-written backward passes gradcheck, on 1-D and 3-D scores") {
  for (const Shape& shape : {Shape{7}, Shape{2, 3, 4}}) {
    const GradcheckReport r =
        gradcheck([](const std::vector<Tensor>& in) { return smooth_focus(in[0]); }, {randn(shape, true)});
    INFO(r.summary());
    CHECK(r.ok);
  }
}

TEST_CASE("smooth_focus matches PyTorch (forward and backward)") {
  const Tensor x = leaf("smooth_focus/input/x");
  const Tensor y = smooth_focus(x);
  CHECK(attograd::allclose(y.value(), entry("smooth_focus/out/y")));
  sum(y * Tensor(entry("smooth_focus/upstream/y"))).backward();
  CHECK(attograd::allclose(x.grad(), entry("smooth_focus/input_grad/x"), 1e-5f, 1e-6f));
}

TEST_CASE("LocationAttention matches PyTorch, with softmax and with smooth focus") {
  for (const auto& [c, focus] : {std::pair{std::string("location_softmax"), LocationAttention::Focus::Softmax},
                                 std::pair{std::string("location_smooth"), LocationAttention::Focus::Smooth}}) {
    INFO("case " << c);
    LocationAttention layer = fixture_layer(focus);
    layer.load_state_dict(parameters_of(c, layer));
    const Tensor query = leaf(c + "/input/query"), keys = leaf(c + "/input/keys");
    const Tensor values = leaf(c + "/input/values"), previous = leaf(c + "/input/previous");
    std::vector<std::int64_t> lengths;
    for (const float l : entry(c + "/input/lengths")) lengths.push_back(static_cast<std::int64_t>(l));
    const auto [context, weights] =
        layer(query, keys, values, previous, nn::AttentionMask::key_padding(lengths, keys.shape()[1]));
    CHECK(attograd::allclose(context.value(), entry(c + "/out/context"), 1e-5f, 1e-6f));
    CHECK(attograd::allclose(weights.value(), entry(c + "/out/weights"), 1e-5f, 1e-6f));
    const Tensor loss = sum(context * Tensor(entry(c + "/upstream/context"))) +
                        sum(weights * Tensor(entry(c + "/upstream/weights")));  // Σ out ⊙ upstream
    loss.backward();
    for (const auto& [name, p] : layer.named_parameters()) {
      INFO("parameter " << name);
      CHECK(attograd::allclose(p.grad(), entry(c + "/grad/" + name), 1e-5f, 1e-6f));
    }
    for (const auto& [name, t] : {std::pair{"query", query}, std::pair{"keys", keys}, std::pair{"values", values},
                                  std::pair{"previous", previous}}) {
      INFO("input " << name);
      CHECK(attograd::allclose(t.grad(), entry(c + "/input_grad/" + name), 1e-5f, 1e-6f));
    }
  }
}

TEST_CASE("LocationAttention passes gradcheck through every input and parameter, fused kernels on and off") {
  for (const bool fused : {true, false}) {
    INFO("fused kernels " << fused);
    const FusedKernelsGuard guard(fused);
    manual_seed(4);
    LocationAttention layer(3, 4, 5, 2, 3, LocationAttention::Focus::Smooth);
    const nn::AttentionMask mask = nn::AttentionMask::key_padding({5, 3}, 5);
    std::vector<Tensor> inputs{randn({2, 3}, true), randn({2, 5, 4}, true), randn({2, 5, 2}, true),
                               softmax(randn({2, 5}), -1).detach().requires_grad_(true)};
    for (const Tensor& p : layer.parameters()) inputs.push_back(p);
    const GradcheckReport r = gradcheck(
        [&](const std::vector<Tensor>& in) {
          const auto [context, weights] = layer(in[0], in[1], in[2], in[3], mask);
          return cat({context, weights}, -1);  // (2, 2 + 5)
        },
        inputs);
    INFO(r.summary());
    CHECK(r.ok);
  }
}

TEST_CASE("LocationAttention: the score sees the previous weights, padding gets no weight, α_0 is uniform") {
  manual_seed(2);
  LocationAttention layer(4, 4, 6);
  const Tensor query = randn({2, 4}), keys = randn({2, 7, 4});
  const nn::AttentionMask mask = nn::AttentionMask::key_padding({7, 5}, 7);
  const Tensor alpha0 = LocationAttention::initial_weights({7, 5}, 7);
  CHECK(alpha0.value()(1, 4) == Approx(0.2f));
  CHECK(alpha0.value()(1, 5) == 0.0f);
  const auto [c0, w0] = layer(query, keys, keys, alpha0, mask);
  const auto [c1, w1] = layer(query, keys, keys, w0, mask);
  CHECK_FALSE(attograd::allclose(w0.value(), w1.value()));  // same query and keys, other previous weights
  CHECK(attograd::allclose(row_sums(w1.value()), Array(xt::ones<float>({2}))));
  CHECK(w1.value()(1, 5) == 0.0f);
  CHECK(w1.value()(1, 6) == 0.0f);
  CHECK(c0.shape() == Shape{2, 4});
}

TEST_CASE("LocationAttention and smooth_focus refuse bad shapes and settings, naming the values") {
  CHECK_THROWS_WITH(smooth_focus(Tensor(Array(xt::xarray<float>(1.0f)))), Contains("0-dim"));
  CHECK_THROWS_WITH(LocationAttention(4, 4, 4, 8, 4), Contains("width must be odd") && Contains("got 4"));
  CHECK_THROWS_WITH(LocationAttention(0, 4), Contains("must be positive, got 0, 4 and 8"));
  CHECK_THROWS_WITH(LocationAttention::initial_weights({3, 0}, 3), Contains("lengths[1] = 0 is not in 1..S = 3"));
  CHECK_THROWS_WITH(LocationAttention::initial_weights({4}, 3), Contains("lengths[0] = 4"));
  LocationAttention layer(4, 3, 5);
  const Tensor query = randn({2, 4}), keys = randn({2, 6, 3});
  CHECK_THROWS_WITH(layer(query, keys, keys, randn({2, 5})), Contains("disagree on B or S") && Contains("(2, 5)"));
  CHECK_THROWS_WITH(layer(randn({2, 1, 4}), keys, keys, randn({2, 6})),
                    Contains("expected query (B, 4)") && Contains("(2, 1, 4)"));
  CHECK_THROWS_WITH(layer(query, randn({2, 6, 4}), keys, randn({2, 6})),
                    Contains("expected keys (B, S, 3), got (2, 6, 4)"));
  CHECK_THROWS_WITH(layer(query, keys, keys, randn({2, 6}), nn::AttentionMask::key_padding({6, 6, 6}, 6)),
                    Contains("LocationAttention"));
  CHECK(layer.describe() ==
        "LocationAttention(query_dim=4, key_dim=3, attention_dim=5, filters=8, width=5, focus=softmax)");
}

TEST_CASE("LocationAttention: reset_parameters redraws exactly what construction drew") {
  attograd::testing::check_reset_parameters("LocationAttention", [] {
    return std::make_shared<LocationAttention>(extending::LocationAttentionOptions{
        .query_dim = 3, .key_dim = 4, .attention_dim = 5, .filters = 2, .width = 3});
  });
}

TEST_CASE("LocationAttention: built from options as from sizes, and options() gives them back") {
  manual_seed(5);
  const LocationAttention from_sizes(3, 4, 0, 2, 3, LocationAttention::Focus::Smooth);
  manual_seed(5);
  const LocationAttention from_options(extending::LocationAttentionOptions{
      .query_dim = 3, .key_dim = 4, .filters = 2, .width = 3, .focus = extending::LocationFocus::Smooth});
  CHECK(attograd::testing::same_bits(attograd::testing::parameter_values(from_sizes),
                                     attograd::testing::parameter_values(from_options)));
  CHECK(from_options.options().attention_dim == 0);
  CHECK(from_options.describe() == from_sizes.describe());
  CHECK_THROWS_WITH(LocationAttention(extending::LocationAttentionOptions{.query_dim = 3, .key_dim = 4, .width = 4}),
                    Contains("LocationAttention: the filter width must be odd") && Contains("got 4"));
}
