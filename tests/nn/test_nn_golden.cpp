// The layers against PyTorch: outputs and gradients (inputs and parameters) on the fixtures
// written by tests/golden/make_nn_fixtures.py. Each case loads PyTorch's state dict into the
// module by name (strict), which also proves the parameter names and shapes agree.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <attograd/core/core.hpp>
#include <attograd/nn/nn.hpp>

#include "nn_test_support.hpp"

using namespace attograd;
using attograd::testing::backward_with;
using attograd::testing::check_close;

namespace {
const SafetensorsContent& fixture() {
  static const SafetensorsContent content =
      load_safetensors(std::string(ATTOGRAD_TEST_DATA_DIR) + "/golden/data/nn_layers.safetensors");
  return content;
}

const Array& at(const std::string& name) { return fixture().at(name); }
Tensor leaf(const std::string& name) { return Tensor(at(name), true); }

Index ids_at(const std::string& name) {
  const Array& a = at(name);
  Index ids = Index::from_shape(a.shape());
  for (std::size_t i = 0; i < a.size(); ++i) ids.data()[i] = static_cast<std::int64_t>(a.data()[i]);
  return ids;
}

// "<case>.param.<name>" entries as a state dict with PyTorch's names.
void load_case(nn::Module& m, const std::string& c) {
  const std::string prefix = c + ".param.";
  nn::StateDict dict;
  for (const auto& [name, value] : fixture().tensors)
    if (name.rfind(prefix, 0) == 0) dict.emplace_back(name.substr(prefix.size()), Tensor(value));
  REQUIRE_FALSE(dict.empty());
  m.load_state_dict(dict);  // strict: throws on any missing, unexpected or mismatched name
}

void check_output(const std::string& c, const std::string& name, const Tensor& got) {
  check_close(c + ".out." + name, got.value(), at(c + ".out." + name));
}

void check_grad(const std::string& c, const std::string& name, const Tensor& t) {
  REQUIRE(t.has_grad());
  check_close(c + ".grad." + name, t.grad(), at(c + ".grad." + name));
}

void check_parameter_grads(const std::string& c, const nn::Module& m) {
  for (const auto& [name, p] : m.named_parameters()) check_grad(c, name, p);
}

Array seed(const std::string& c, const std::string& name) { return at(c + ".seed." + name); }

std::vector<std::int64_t> lengths_at(const std::string& name) {
  const Index ids = ids_at(name);
  return {ids.begin(), ids.end()};
}
}  // namespace

TEST_CASE("Linear matches PyTorch") {
  nn::Linear linear(4, 3);
  load_case(linear, "linear");
  const Tensor x = leaf("linear.input");  // (2, 5, 4)
  const Tensor y = linear(x);             // (2, 5, 3)
  check_output("linear", "output", y);
  backward_with({{y, seed("linear", "output")}});
  check_grad("linear", "input", x);
  check_parameter_grads("linear", linear);
}

TEST_CASE("Embedding with padding_idx matches PyTorch") {
  nn::Embedding embedding(7, 4, 2);
  load_case(embedding, "embedding");
  const Tensor y = embedding(ids_at("embedding.ids"));  // (3, 4, 4)
  check_output("embedding", "output", y);
  backward_with({{y, seed("embedding", "output")}});
  check_parameter_grads("embedding", embedding);
  for (std::size_t e = 0; e < 4; ++e) CHECK(embedding.weight.grad()(2, e) == 0.0f);
}

TEST_CASE("LayerNorm over two dims matches PyTorch") {
  nn::LayerNorm norm(Shape{3, 4});
  load_case(norm, "layer_norm");
  const Tensor x = leaf("layer_norm.input");  // (2, 5, 3, 4)
  const Tensor y = norm(x);
  check_output("layer_norm", "output", y);
  backward_with({{y, seed("layer_norm", "output")}});
  check_grad("layer_norm", "input", x);
  check_parameter_grads("layer_norm", norm);
}

TEST_CASE("GRUCell and LSTMCell match PyTorch") {
  nn::GRUCell gru(4, 5);
  load_case(gru, "gru_cell");
  const Tensor x = leaf("gru_cell.input"), hx = leaf("gru_cell.hx");  // (3, 4), (3, 5)
  const Tensor h = gru(x, hx);
  check_output("gru_cell", "h", h);
  backward_with({{h, seed("gru_cell", "h")}});
  check_grad("gru_cell", "input", x);
  check_grad("gru_cell", "hx", hx);
  check_parameter_grads("gru_cell", gru);

  nn::LSTMCell lstm(4, 5);
  load_case(lstm, "lstm_cell");
  const Tensor lx = leaf("lstm_cell.input"), lh = leaf("lstm_cell.h"), lc = leaf("lstm_cell.c");
  const auto next = lstm(lx, lh, lc);
  check_output("lstm_cell", "h", next.h);
  check_output("lstm_cell", "c", next.c);
  backward_with({{next.h, seed("lstm_cell", "h")}, {next.c, seed("lstm_cell", "c")}});
  check_grad("lstm_cell", "input", lx);
  check_grad("lstm_cell", "h", lh);
  check_grad("lstm_cell", "c", lc);
  check_parameter_grads("lstm_cell", lstm);
}

TEST_CASE("GRU (2 layers, bidirectional, batch_first, h0) matches PyTorch") {
  nn::GRU gru(4, 5, {.num_layers = 2, .batch_first = true, .bidirectional = true});
  load_case(gru, "gru");
  const Tensor x = leaf("gru.input"), h0 = leaf("gru.h0");  // (3, 6, 4), (4, 3, 5)
  const auto [output, h_n] = gru(x, h0);                    // (3, 6, 10), (4, 3, 5)
  check_output("gru", "output", output);
  check_output("gru", "h_n", h_n);
  backward_with({{output, seed("gru", "output")}, {h_n, seed("gru", "h_n")}});
  check_grad("gru", "input", x);
  check_grad("gru", "h0", h0);
  check_parameter_grads("gru", gru);
}

TEST_CASE("LSTM with lengths matches PyTorch's pack_padded_sequence (2 layers, bidirectional, h0, c0)") {
  nn::LSTM lstm(4, 5, {.num_layers = 2, .batch_first = false, .bidirectional = true});
  load_case(lstm, "lstm");
  const Tensor x = leaf("lstm.input"), h0 = leaf("lstm.h0"), c0 = leaf("lstm.c0");  // (6, 4, 4), (4, 4, 5) twice
  const auto [output, h_n, c_n] = lstm(x, h0, c0, lengths_at("lstm.lengths"));      // (6, 4, 10), (4, 4, 5) twice
  check_output("lstm", "output", output);
  check_output("lstm", "h_n", h_n);
  check_output("lstm", "c_n", c_n);
  backward_with({{output, seed("lstm", "output")}, {h_n, seed("lstm", "h_n")}, {c_n, seed("lstm", "c_n")}});
  check_grad("lstm", "input", x);
  check_grad("lstm", "h0", h0);
  check_grad("lstm", "c0", c0);
  check_parameter_grads("lstm", lstm);
}

TEST_CASE("GRU with lengths matches PyTorch's pack_padded_sequence (bidirectional, batch_first)") {
  nn::GRU gru(3, 4, {.batch_first = true, .bidirectional = true});
  load_case(gru, "gru_lengths");
  const Tensor x = leaf("gru_lengths.input");                                // (3, 5, 3)
  const auto [output, h_n] = gru(x, {}, lengths_at("gru_lengths.lengths"));  // (3, 5, 8), (2, 3, 4)
  check_output("gru_lengths", "output", output);
  check_output("gru_lengths", "h_n", h_n);
  backward_with({{output, seed("gru_lengths", "output")}, {h_n, seed("gru_lengths", "h_n")}});
  check_grad("gru_lengths", "input", x);
  check_parameter_grads("gru_lengths", gru);
}

TEST_CASE("Conv2d (stride, padding, groups) and Conv2d without bias (dilation) match PyTorch", "[conv]") {
  nn::Conv2d conv(4, 6, 3, {.stride = 2, .padding = 1, .groups = 2});
  load_case(conv, "conv2d");
  const Tensor x = leaf("conv2d.input");  // (2, 4, 7, 6)
  const Tensor y = conv(x);               // (2, 6, 4, 3)
  check_output("conv2d", "output", y);
  backward_with({{y, seed("conv2d", "output")}});
  check_grad("conv2d", "input", x);
  check_parameter_grads("conv2d", conv);

  nn::Conv2d no_bias(3, 4, {2, 3}, {.dilation = {2, 1}, .bias = false});
  load_case(no_bias, "conv2d_no_bias");
  const Tensor x2 = leaf("conv2d_no_bias.input");  // (2, 3, 6, 5)
  const Tensor y2 = no_bias(x2);                   // (2, 4, 4, 3)
  check_output("conv2d_no_bias", "output", y2);
  backward_with({{y2, seed("conv2d_no_bias", "output")}});
  check_grad("conv2d_no_bias", "input", x2);
  check_parameter_grads("conv2d_no_bias", no_bias);
}

TEST_CASE("Conv1d (padding, dilation) matches PyTorch", "[conv]") {
  nn::Conv1d conv(3, 4, 3, {.padding = 2, .dilation = 2});
  load_case(conv, "conv1d");
  const Tensor x = leaf("conv1d.input");  // (2, 3, 8)
  const Tensor y = conv(x);               // (2, 4, 8)
  check_output("conv1d", "output", y);
  backward_with({{y, seed("conv1d", "output")}});
  check_grad("conv1d", "input", x);
  check_parameter_grads("conv1d", conv);
}

TEST_CASE("A small CNN (Conv2d, ReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d) matches PyTorch", "[conv]") {
  nn::Sequential cnn{
      std::make_shared<nn::Conv2d>(3, 4, 3, nn::Conv2dOptions{.padding = 1}),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Conv2d>(4, 6, 3, nn::Conv2dOptions{.padding = 1}),
      std::make_shared<nn::AvgPool2d>(3, nn::AvgPool2dOptions{.stride = 1, .padding = 1, .count_include_pad = false}),
      std::make_shared<nn::AdaptiveAvgPool2d>(1)};
  load_case(cnn, "cnn");
  const Tensor x = leaf("cnn.input");  // (2, 3, 8, 7)
  const Tensor y = cnn(x);             // (2, 6, 1, 1)
  check_output("cnn", "output", y);
  backward_with({{y, seed("cnn", "output")}});
  check_grad("cnn", "input", x);
  check_parameter_grads("cnn", cnn);
}
