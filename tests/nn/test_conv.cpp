// Conv1d, Conv2d and the pooling modules: parameter names and shapes, PyTorch's default init
// (bounds and spread), output shapes, describe(), gradient checks and error messages.
// PyTorch agreement is in test_nn_golden.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>

#include <xtensor/xmath.hpp>

#include <attograd/core/core.hpp>
#include <attograd/nn/nn.hpp>

#include "../support/gradcheck.hpp"
#include "nn_test_support.hpp"

using namespace attograd;
using attograd::testing::check_gradients;
using attograd::testing::random_input;
using attograd::testing::with_parameters;
using Catch::Contains;
using Ts = std::vector<Tensor>;

namespace {
// Every value within ±bound and, for a tensor large enough to tell, the largest near the bound,
// the mean near 0 and the spread of U(-bound, bound): bound / √3. A bias (tens of values) only
// gets the bound and a largest value past half of it.
void check_uniform(const Tensor& t, double bound) {
  INFO("shape " << shape_str(t.shape()) << ", bound " << bound);
  const Array& v = t.value();
  const double largest = xt::amax(xt::abs(v))();
  CHECK(largest <= bound);
  if (v.size() < 1000) {
    CHECK(largest > 0.5 * bound);
    return;
  }
  CHECK(largest > 0.99 * bound);
  double mean = 0.0, squares = 0.0;
  for (float x : v) mean += x, squares += static_cast<double>(x) * x;
  mean /= static_cast<double>(v.size());
  CHECK(std::abs(mean) < 0.05 * bound);
  CHECK(std::sqrt(squares / static_cast<double>(v.size())) == Approx(bound / std::sqrt(3.0)).epsilon(0.05));
}
}  // namespace

TEST_CASE("Conv2d: names, shapes and PyTorch's default init (fan_in = in / groups · KH · KW)", "[conv]") {
  manual_seed(11);
  nn::Conv2d conv(16, 32, 3, {.padding = 1});
  const auto named = conv.named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[0].first == "weight");
  CHECK(named[1].first == "bias");
  CHECK(conv.weight.shape() == Shape{32, 16, 3, 3});
  CHECK(conv.bias.shape() == Shape{32});
  check_uniform(conv.weight, 1.0 / std::sqrt(16.0 * 9.0));
  check_uniform(conv.bias, 1.0 / std::sqrt(16.0 * 9.0));

  nn::Conv2d grouped(32, 64, {3, 2}, {.groups = 4});  // fan_in = 8 · 3 · 2 = 48
  CHECK(grouped.weight.shape() == Shape{64, 8, 3, 2});
  check_uniform(grouped.weight, 1.0 / std::sqrt(48.0));
  check_uniform(grouped.bias, 1.0 / std::sqrt(48.0));

  nn::Conv2d no_bias(3, 4, 1, {.bias = false});
  CHECK(no_bias.named_parameters().size() == 1);
  CHECK_FALSE(no_bias.bias.defined());

  CHECK(conv(ones({2, 16, 8, 8})).shape() == Shape{2, 32, 8, 8});
  CHECK(conv(ones({16, 5, 7})).shape() == Shape{32, 5, 7});  // unbatched
  CHECK(nn::Conv2d(3, 4, 3, {.stride = 2})(ones({1, 3, 9, 8})).shape() == Shape{1, 4, 4, 3});
  CHECK(conv.describe() == "Conv2d(16, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))");
  CHECK(grouped.describe() == "Conv2d(32, 64, kernel_size=(3, 2), stride=(1, 1), groups=4)");
  CHECK(nn::Conv2d(3, 4, 3, {.stride = {2, 1}, .dilation = 2, .bias = false}).describe() ==
        "Conv2d(3, 4, kernel_size=(3, 3), stride=(2, 1), dilation=(2, 2), bias=false)");
}

TEST_CASE("Conv1d: names, shapes and PyTorch's default init (fan_in = in / groups · K)", "[conv]") {
  manual_seed(12);
  nn::Conv1d conv(20, 48, 5, {.stride = 2, .padding = 2});
  CHECK(conv.weight.shape() == Shape{48, 20, 5});
  CHECK(conv.named_parameters()[1].first == "bias");
  check_uniform(conv.weight, 1.0 / std::sqrt(100.0));
  check_uniform(conv.bias, 1.0 / std::sqrt(100.0));
  CHECK(conv(ones({3, 20, 11})).shape() == Shape{3, 48, 6});
  CHECK(conv(ones({20, 11})).shape() == Shape{48, 6});
  CHECK(conv.describe() == "Conv1d(20, 48, kernel_size=(5,), stride=(2,), padding=(2,))");
  CHECK(nn::Conv1d(4, 2, 3, {.dilation = 2, .groups = 2, .bias = false}).describe() ==
        "Conv1d(4, 2, kernel_size=(3,), stride=(1,), dilation=(2,), groups=2, bias=false)");
}

TEST_CASE("gradcheck: Conv1d, Conv2d and a CNN with the pooling modules", "[conv]") {
  manual_seed(13);
  nn::Conv2d conv2(4, 4, 3, {.stride = 2, .padding = 1, .groups = 2});
  CHECK(check_gradients([&](const Ts& in) { return conv2(in.back()); },
                        with_parameters(conv2, {random_input({2, 4, 5, 4})})));
  nn::Conv1d conv1(2, 3, 3, {.padding = 1, .dilation = 2});
  CHECK(check_gradients([&](const Ts& in) { return conv1(in.back()); },
                        with_parameters(conv1, {random_input({2, 2, 6})})));
  nn::Sequential cnn{std::make_shared<nn::Conv2d>(2, 3, 3, nn::Conv2dOptions{.padding = 1}),
                     std::make_shared<nn::AvgPool2d>(2, nn::AvgPool2dOptions{.stride = 1}),
                     std::make_shared<nn::AdaptiveAvgPool2d>(Size2{2, 3})};
  CHECK(check_gradients([&](const Ts& in) { return cnn(in.back()); },
                        with_parameters(cnn, {random_input({2, 2, 5, 6})})));
}

TEST_CASE("MaxPool2d, AvgPool2d and AdaptiveAvgPool2d: the core ops as modules", "[conv]") {
  const Tensor x = random_input({2, 3, 7, 6});
  nn::MaxPool2d max2(2);
  CHECK(max2.parameters().empty());
  CHECK(attograd::allclose(max2(x).value(), max_pool2d(x, 2).value()));
  CHECK(max2(x).shape() == Shape{2, 3, 3, 3});
  CHECK(max2.describe() == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))");
  nn::MaxPool2d max3(3, {.stride = Size2{2, 1}, .padding = 1});
  CHECK(attograd::allclose(max3(x).value(), max_pool2d(x, 3, {2, 1}, 1).value()));
  CHECK(max3.describe() == "MaxPool2d(kernel_size=(3, 3), stride=(2, 1), padding=(1, 1))");

  nn::AvgPool2d avg(3, {.stride = 2, .padding = 1, .count_include_pad = false});
  CHECK(attograd::allclose(avg(x).value(), avg_pool2d(x, 3, 2, 1, false).value()));
  CHECK(avg.describe() == "AvgPool2d(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), count_include_pad=false)");
  CHECK(nn::AvgPool2d(2)(x).shape() == Shape{2, 3, 3, 3});

  nn::AdaptiveAvgPool2d global(1);
  CHECK(global(x).shape() == Shape{2, 3, 1, 1});
  CHECK(attograd::allclose(global(x).value(), mean(x, {2, 3}, true).value(), 1e-5f, 1e-6f));
  CHECK(nn::AdaptiveAvgPool2d({3, 2}).describe() == "AdaptiveAvgPool2d(output_size=(3, 2))");
}

TEST_CASE("conv and pooling modules: errors name the layer and the values", "[conv]") {
  REQUIRE_THROWS_AS(nn::Conv2d(3, 4, 3, {.groups = 2}), std::invalid_argument);
  REQUIRE_THROWS_WITH(nn::Conv2d(3, 4, 3, {.groups = 2}),
                      Contains("Conv2d: in_channels 3 is not divisible by groups 2"));
  REQUIRE_THROWS_WITH(nn::Conv1d(4, 3, 3, {.groups = 2}),
                      Contains("Conv1d: out_channels 3 is not divisible by groups 2"));
  REQUIRE_THROWS_WITH(nn::Conv2d(4, 4, 3, {.groups = 0}), Contains("Conv2d: groups must be positive, got 0"));
  REQUIRE_THROWS_WITH(nn::Conv2d(3, 4, {0, 3}), Contains("Conv2d: kernel_size must be positive, got (0, 3)"));
  REQUIRE_THROWS_WITH(nn::Conv1d(3, 4, 0), Contains("Conv1d: kernel_size must be positive, got 0"));
  REQUIRE_THROWS_WITH(nn::Conv2d(3, 4, 3, {.stride = {1, 0}}), Contains("Conv2d: stride must be positive, got (1, 0)"));
  REQUIRE_THROWS_WITH(nn::Conv2d(3, 4, 3, {.padding = -1}),
                      Contains("Conv2d: padding must be non-negative, got (-1, -1)"));
  REQUIRE_THROWS_WITH(nn::Conv2d(3, 4, 3, {.dilation = 0}), Contains("Conv2d: dilation must be positive, got (0, 0)"));
  REQUIRE_THROWS_WITH(nn::Conv1d(3, 4, 3, {.stride = 0}), Contains("Conv1d: stride must be positive, got 0"));
  REQUIRE_THROWS_WITH(nn::Conv1d(3, 4, 3, {.padding = -2}), Contains("Conv1d: padding must be non-negative, got -2"));
  REQUIRE_THROWS_WITH(nn::Conv1d(3, 4, 3, {.dilation = -1}), Contains("Conv1d: dilation must be positive, got -1"));

  nn::Conv2d conv(3, 4, 3);
  REQUIRE_THROWS_WITH(conv(ones({2, 5, 8, 8})),
                      Contains("Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1)): expected input of shape (N, 3, H, W) "
                               "or (3, H, W), got (2, 5, 8, 8)"));
  REQUIRE_THROWS_WITH(conv(ones({3, 8})), Contains("got (3, 8)"));
  REQUIRE_THROWS_WITH(conv(ones({1, 3, 2, 2})), Contains("conv2d: the kernel spans (3, 3)"));  // too small
  nn::Conv1d conv1(3, 4, 3);
  REQUIRE_THROWS_WITH(conv1(ones({2, 4, 8})),
                      Contains("Conv1d(3, 4, kernel_size=(3,), stride=(1,)): expected input of shape (N, 3, L) or (3, "
                               "L), got (2, 4, 8)"));

  REQUIRE_THROWS_WITH(nn::MaxPool2d(0), Contains("MaxPool2d: kernel_size must be positive, got (0, 0)"));
  REQUIRE_THROWS_WITH(nn::MaxPool2d(2, {.stride = 0}), Contains("MaxPool2d: stride must be positive, got (0, 0)"));
  REQUIRE_THROWS_WITH(nn::MaxPool2d(3, {.padding = 2}),
                      Contains("MaxPool2d: padding (2, 2) must be between 0 and half of kernel_size (3, 3)"));
  REQUIRE_THROWS_WITH(nn::AvgPool2d(2, {.padding = {0, -1}}),
                      Contains("AvgPool2d: padding (0, -1) must be between 0 and half of kernel_size (2, 2)"));
  REQUIRE_THROWS_WITH(nn::AdaptiveAvgPool2d({2, 0}),
                      Contains("AdaptiveAvgPool2d: output_size must be positive, got (2, 0)"));
  REQUIRE_THROWS_WITH(nn::MaxPool2d(2)(ones({4, 4})), Contains("max_pool2d: input must be"));
}
