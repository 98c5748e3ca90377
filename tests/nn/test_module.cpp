// nn::Module bookkeeping on a small nested model: dotted names in PyTorch's order, children,
// train/eval reaching every descendant, zero_grad, state dicts (strict and not) and summary().
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <attograd/core/core.hpp>
#include <attograd/nn/nn.hpp>

#include "nn_test_support.hpp"

using namespace attograd;
using Catch::Contains;

namespace {
// encoder = Sequential(Linear(3, 4), ReLU, Dropout), then its own scale parameter and a
// running-count buffer, then head = Linear(4, 2) and norm = LayerNorm(2).
class TinyNet : public nn::Module {
 public:
  TinyNet() {
    encoder = register_module(
        "encoder",
        std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::UnaryModule>>{
            std::make_shared<nn::Linear>(3, 4), std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(0.5f)}));
    scale = register_parameter("scale", ones({4}));
    steps = register_buffer("steps", zeros({1}));
    head = register_module("head", std::make_shared<nn::Linear>(4, 2));
    norm = register_module("norm", std::make_shared<nn::LayerNorm>(2));
  }
  Tensor forward(const Tensor& x) { return norm->forward(head->forward(encoder->forward(x) * scale)); }
  std::string describe() const override { return "TinyNet"; }

  std::shared_ptr<nn::Sequential> encoder;
  std::shared_ptr<nn::Linear> head;
  std::shared_ptr<nn::LayerNorm> norm;
  Tensor scale, steps;
};

std::vector<std::string> keys(const nn::NamedTensors& named) {
  std::vector<std::string> out;
  for (const auto& [name, _] : named) out.push_back(name);
  return out;
}
}  // namespace

TEST_CASE("Module: named_parameters gives dotted names in PyTorch's order") {
  TinyNet net;
  CHECK(keys(net.named_parameters()) == std::vector<std::string>{"scale", "encoder.0.weight", "encoder.0.bias",
                                                                 "head.weight", "head.bias", "norm.weight",
                                                                 "norm.bias"});
  CHECK(keys(net.named_parameters(false)) == std::vector<std::string>{"scale"});
  CHECK(keys(net.named_buffers()) == std::vector<std::string>{"steps"});
  CHECK(net.parameters().size() == 7);
  CHECK(net.parameters()[1].is_same(net.encoder->named_parameters()[0].second));
  CHECK(net.parameter_count() == 4 + (12 + 4) + (8 + 2) + (2 + 2));
}

TEST_CASE("Module: children in registration order") {
  TinyNet net;
  std::vector<std::string> names;
  for (const auto& [name, _] : net.named_children()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"encoder", "head", "norm"});
  REQUIRE(net.children().size() == 3);
  CHECK(net.children()[1] == net.head);
  CHECK(net.encoder->children().size() == 3);
}

TEST_CASE("Module: train() and eval() reach every descendant") {
  TinyNet net;
  auto dropout = std::dynamic_pointer_cast<nn::Dropout>((*net.encoder)[2]);
  REQUIRE(dropout);
  CHECK(net.is_training());
  CHECK(dropout->is_training());
  net.eval();
  CHECK_FALSE(net.is_training());
  CHECK_FALSE(net.encoder->is_training());
  CHECK_FALSE(dropout->is_training());
  CHECK_FALSE(net.head->is_training());
  const Tensor x = ones({2, 3});
  CHECK(attograd::testing::identical(net.forward(x).value(), net.forward(x).value()));  // dropout off: deterministic
  net.train();
  CHECK(dropout->is_training());
}

TEST_CASE("Module: zero_grad forgets every parameter's gradient") {
  TinyNet net;
  sum(net.forward(ones({2, 3}))).backward();
  for (const auto& [name, p] : net.named_parameters()) {
    INFO(name);
    CHECK(p.has_grad());
  }
  net.zero_grad();
  for (const Tensor& p : net.parameters()) CHECK_FALSE(p.has_grad());
}

TEST_CASE("Module: state_dict round trip and strict load_state_dict") {
  manual_seed(21);
  TinyNet a;
  manual_seed(22);
  TinyNet b;
  CHECK(keys(a.state_dict()) == std::vector<std::string>{"scale", "steps", "encoder.0.weight", "encoder.0.bias",
                                                         "head.weight", "head.bias", "norm.weight", "norm.bias"});
  REQUIRE_FALSE(attograd::testing::identical(a.head->weight.value(), b.head->weight.value()));
  a.steps.mutable_value()(0) = 7.0f;
  const auto result = b.load_state_dict(a.state_dict());
  CHECK(result.ok());
  for (std::size_t k = 0; k < a.state_dict().size(); ++k)
    CHECK(attograd::testing::identical(a.state_dict()[k].second.value(), b.state_dict()[k].second.value()));
  // Loading copies values: the two models stay independent.
  a.head->weight.mutable_value()(0, 0) += 1.0f;
  CHECK(b.head->weight.value()(0, 0) != a.head->weight.value()(0, 0));

  // One error lists every problem, and nothing is loaded.
  nn::StateDict bad = a.state_dict();
  bad.erase(bad.begin() + 3);                      // encoder.0.bias missing
  bad.erase(bad.begin());                          // scale missing
  bad.emplace_back("head.extra", zeros({1}));      // unexpected
  bad.emplace_back("decoder.weight", zeros({1}));  // unexpected
  for (auto& [name, t] : bad)
    if (name == "head.weight") t = zeros({3, 3});  // mismatched
  const Array before = b.head->bias.value();
  try {
    b.load_state_dict(bad);
    FAIL("load_state_dict accepted a state dict that does not fit");
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Contains("load_state_dict: the state dict does not fit the module"));
    CHECK_THAT(message, Contains("missing key: scale"));
    CHECK_THAT(message, Contains("missing key: encoder.0.bias"));
    CHECK_THAT(message, Contains("unexpected key: head.extra"));
    CHECK_THAT(message, Contains("unexpected key: decoder.weight"));
    CHECK_THAT(message, Contains("shape mismatch for head.weight: expected (2, 4), got (3, 3)"));
  }
  CHECK(attograd::testing::identical(b.head->bias.value(), before));  // untouched

  SECTION("non-strict: loads what fits, returns the rest") {
    const auto r = b.load_state_dict(bad, false);
    CHECK(r.missing_keys == std::vector<std::string>{"scale", "encoder.0.bias"});
    CHECK(r.unexpected_keys == std::vector<std::string>{"head.extra", "decoder.weight"});
    REQUIRE(r.mismatched.size() == 1);
    CHECK(r.mismatched[0].name == "head.weight");
    CHECK(r.mismatched[0].expected == Shape{2, 4});
    CHECK(r.mismatched[0].got == Shape{3, 3});
    CHECK(attograd::testing::identical(b.head->bias.value(), a.head->bias.value()));           // loaded
    CHECK_FALSE(attograd::testing::identical(b.head->weight.value(), zeros({2, 4}).value()));  // mismatched: kept
  }
}

TEST_CASE("Module: state_dict entries are the live parameters and buffers, as documented") {
  TinyNet net;
  nn::StateDict dict = net.state_dict();
  REQUIRE(keys(dict)[2] == "encoder.0.weight");
  // The same handles: an in-place write through the state dict changes the model (as PyTorch's
  // shared storage does), and training the model changes what the state dict shows.
  CHECK(dict[2].second.is_same(net.encoder->named_parameters()[0].second));
  CHECK(dict[1].second.is_same(net.steps));
  const Tensor x = from_vector({1, 2, 3}, {1, 3});
  net.eval();
  const Array before = net.forward(x).value();
  const Tensor snapshot = dict[0].second.detach();  // "scale": a copy that keeps today's values
  dict[0].second.mutable_value().fill(0.0f);
  CHECK(attograd::testing::identical(net.scale.value(), zeros({4}).value()));
  CHECK_FALSE(attograd::testing::identical(net.forward(x).value(), before));
  CHECK(attograd::testing::identical(snapshot.value(), ones({4}).value()));
  net.steps.mutable_value()(0) = 5.0f;
  CHECK(dict[1].second.value()(0) == 5.0f);
  // Not detached, unlike PyTorch's: a parameter's entry is the parameter itself.
  CHECK(dict[0].second.requires_grad());
  CHECK_FALSE(snapshot.requires_grad());
}

TEST_CASE("Module: summary lists modules and parameters with the total") {
  TinyNet net;
  const std::string s = net.summary();
  CHECK_THAT(s, Contains("TinyNet"));
  CHECK_THAT(s, Contains("Linear(in_features=3, out_features=4, bias=true)"));
  CHECK_THAT(s, Contains("LayerNorm((2,), eps=1e-05, elementwise_affine=true)"));
  CHECK_THAT(s, Contains("(4, 3)"));
  CHECK_THAT(s, Contains("total"));
  CHECK_THAT(s, Contains(std::to_string(net.parameter_count())));
  CHECK(net.parameter_count() == 34);

  nn::GRU gru(4, 5, {.num_layers = 2, .batch_first = false, .bidirectional = true});
  CHECK_THAT(gru.summary(), Contains("weight_hh_l1_reverse"));
  CHECK_THAT(gru.summary(), Contains(std::to_string(gru.parameter_count())));
}
