// GRUCell, LSTMCell, GRU and LSTM: PyTorch's names and shapes, gradient checks, sequence
// lengths (padding must never leak into outputs, states or gradients) and error messages.
// Agreement with PyTorch itself is in test_nn_golden.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <attograd/core/core.hpp>
#include <attograd/nn/rnn/gru.hpp>
#include <attograd/nn/rnn/lstm.hpp>

#include "../support/gradcheck.hpp"
#include "nn_test_support.hpp"

using namespace attograd;
using attograd::testing::backward_with;
using attograd::testing::check_close;
using attograd::testing::check_gradients;
using attograd::testing::identical;
using attograd::testing::random_array;
using attograd::testing::random_input;
using Catch::Contains;
using Ts = std::vector<Tensor>;

namespace {
std::vector<std::string> names_of(const nn::Module& m) {
  std::vector<std::string> names;
  for (const auto& [name, _] : m.named_parameters()) names.push_back(name);
  return names;
}

// Output and final states flattened into one tensor, for the gradient checker.
Tensor flat(const Ts& parts) {
  Ts flattened;
  for (const Tensor& p : parts) flattened.push_back(reshape(p, {-1}));
  return cat(flattened, 0);
}

Ts with_parameters(Ts inputs, const nn::Module& m) {
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  return inputs;
}

// x with every padded step (t >= lengths[b]) replaced by large random values.
// Time-major (T, B, I) unless batch_first.
Array scramble_padding(Array x, const std::vector<std::int64_t>& lengths, bool batch_first) {
  const std::size_t T = batch_first ? x.shape()[1] : x.shape()[0], B = lengths.size(), I = x.shape()[2];
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = static_cast<std::size_t>(lengths[b]); t < T; ++t)
      for (std::size_t i = 0; i < I; ++i)
        (batch_first ? x(b, t, i) : x(t, b, i)) = 50.0f * default_generator().uniform(-1.0f, 1.0f);
  return x;
}
}  // namespace

TEST_CASE("GRU and LSTM: PyTorch's parameter names, order, shapes and init") {
  manual_seed(11);
  nn::GRU gru(4, 5, {.num_layers = 2, .batch_first = false, .bidirectional = true});
  CHECK(names_of(gru) == std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",  //
                                                  "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                                                  "bias_hh_l0_reverse",                                        //
                                                  "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",  //
                                                  "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse",
                                                  "bias_hh_l1_reverse"});
  const auto params = gru.named_parameters();
  CHECK(params[0].second.shape() == Shape{15, 4});
  CHECK(params[1].second.shape() == Shape{15, 5});
  CHECK(params[2].second.shape() == Shape{15});
  CHECK(params[8].second.shape() == Shape{15, 10});  // layer 1 reads both directions
  const float bound = 1.0f / std::sqrt(5.0f);
  for (const Tensor& p : gru.parameters())
    for (float v : p.value()) CHECK(std::abs(v) <= bound);

  nn::LSTM lstm(3, 2, {.bias = false, .batch_first = false});
  CHECK(names_of(lstm) == std::vector<std::string>{"weight_ih_l0", "weight_hh_l0"});
  CHECK(lstm.named_parameters()[0].second.shape() == Shape{8, 3});
  CHECK(lstm.named_parameters()[1].second.shape() == Shape{8, 2});

  CHECK(names_of(nn::GRUCell(3, 2)) == std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"});
  CHECK(nn::GRUCell(3, 2).weight_ih.shape() == Shape{6, 3});
  CHECK(nn::LSTMCell(3, 2).weight_hh.shape() == Shape{8, 2});
  CHECK(names_of(nn::LSTMCell(3, 2, false)) == std::vector<std::string>{"weight_ih", "weight_hh"});
  CHECK(gru.describe() ==
        "GRU(input_size=4, hidden_size=5, num_layers=2, bias=true, batch_first=false, dropout=0, bidirectional=true)");
}

TEST_CASE("GRU and LSTM: output and state shapes in every layout") {
  manual_seed(12);
  nn::GRU gru(3, 4, {.num_layers = 2, .batch_first = false, .bidirectional = true});
  auto [out, h_n] = gru(ones({6, 2, 3}));  // (T, B, I)
  CHECK(out.shape() == Shape{6, 2, 8});
  CHECK(h_n.shape() == Shape{4, 2, 4});
  auto unbatched = gru(ones({6, 3}));
  CHECK(unbatched.output.shape() == Shape{6, 8});
  CHECK(unbatched.h_n.shape() == Shape{4, 4});
  check_close("unbatched = batch of one", unbatched.output.value(), squeeze(gru(ones({6, 1, 3})).output, 1).value());

  nn::LSTM lstm(3, 4, {.batch_first = true});
  auto r = lstm(ones({2, 6, 3}));  // (B, T, I)
  CHECK(r.output.shape() == Shape{2, 6, 4});
  CHECK(r.h_n.shape() == Shape{1, 2, 4});  // states stay (L·D, B, H) with batch_first
  CHECK(r.c_n.shape() == Shape{1, 2, 4});
  // The last output of a one-layer forward LSTM is its final hidden state.
  check_close("output[:, -1] = h_n", squeeze(narrow(r.output, 1, 5, 1), 1).value(), squeeze(r.h_n, 0).value());

  nn::GRUCell cell(3, 4);
  CHECK(cell(ones({2, 3})).shape() == Shape{2, 4});
  CHECK(cell(ones({3})).shape() == Shape{4});
  nn::LSTMCell lcell(3, 4);
  auto s = lcell(ones({2, 3}));
  CHECK(s.h.shape() == Shape{2, 4});
  CHECK(s.c.shape() == Shape{2, 4});
}

TEST_CASE("GRU unrolls GRUCell, LSTM unrolls LSTMCell") {
  manual_seed(13);
  nn::GRU gru(3, 4, {.batch_first = false});
  nn::GRUCell gru_cell(3, 4);
  nn::LSTM lstm(3, 4, {.batch_first = false});
  nn::LSTMCell lstm_cell(3, 4);
  nn::StateDict gru_weights, lstm_weights;  // "weight_ih_l0" -> "weight_ih", ...
  for (const auto& [name, t] : gru.named_parameters()) gru_weights.emplace_back(name.substr(0, name.size() - 3), t);
  for (const auto& [name, t] : lstm.named_parameters()) lstm_weights.emplace_back(name.substr(0, name.size() - 3), t);
  gru_cell.load_state_dict(gru_weights);
  lstm_cell.load_state_dict(lstm_weights);

  const Tensor x = Tensor(random_array({5, 2, 3}));  // (T, B, I)
  const Tensor h0 = Tensor(random_array({1, 2, 4})), c0 = Tensor(random_array({1, 2, 4}));
  const auto g = gru(x, h0);
  const auto l = lstm(x, h0, c0);
  Tensor h = squeeze(h0, 0), lh = h, lc = squeeze(c0, 0);
  for (std::int64_t t = 0; t < 5; ++t) {
    const Tensor x_t = squeeze(narrow(x, 0, t, 1), 0);  // (B, I)
    h = gru_cell(x_t, h);
    auto next = lstm_cell(x_t, lh, lc);
    lh = next.h;
    lc = next.c;
    check_close("GRU output step " + std::to_string(t), squeeze(narrow(g.output, 0, t, 1), 0).value(), h.value());
    check_close("LSTM output step " + std::to_string(t), squeeze(narrow(l.output, 0, t, 1), 0).value(), lh.value());
  }
  check_close("GRU h_n", squeeze(g.h_n, 0).value(), h.value());
  check_close("LSTM c_n", squeeze(l.c_n, 0).value(), lc.value());
}

TEST_CASE("gradcheck: GRUCell and LSTMCell, batched and unbatched, with and without bias") {
  manual_seed(14);
  for (bool bias : {true, false}) {
    INFO("bias " << bias);
    nn::GRUCell gru(3, 4, bias);
    CHECK(check_gradients([&](const Ts& in) { return gru(in[0], in[1]); },
                          with_parameters({random_input({2, 3}), random_input({2, 4})}, gru)));
    CHECK(check_gradients([&](const Ts& in) { return gru(in[0]); }, with_parameters({random_input({3})}, gru)));
    nn::LSTMCell lstm(3, 4, bias);
    CHECK(check_gradients(
        [&](const Ts& in) {
          auto s = lstm(in[0], in[1], in[2]);
          return flat({s.h, s.c});
        },
        with_parameters({random_input({2, 3}), random_input({2, 4}), random_input({2, 4})}, lstm)));
  }
}

TEST_CASE("gradcheck: GRU, 2 layers, bidirectional, batch_first, h0 and lengths") {
  manual_seed(15);
  nn::GRU gru(3, 3, {.num_layers = 2, .batch_first = true, .bidirectional = true});
  const std::vector<std::int64_t> lengths{4, 2, 3};
  CHECK(check_gradients(
      [&](const Ts& in) {
        auto r = gru(in[0], in[1], lengths);
        return flat({r.output, r.h_n});
      },
      with_parameters({random_input({3, 4, 3}), random_input({4, 3, 3})}, gru)));
}

TEST_CASE("gradcheck: LSTM, 2 layers, bidirectional, h0, c0 and lengths, one layer without bias") {
  manual_seed(16);
  nn::LSTM lstm(2, 3, {.num_layers = 2, .batch_first = false, .bidirectional = true});
  const std::vector<std::int64_t> lengths{2, 4, 1};
  CHECK(check_gradients(
      [&](const Ts& in) {
        auto r = lstm(in[0], in[1], in[2], lengths);
        return flat({r.output, r.h_n, r.c_n});
      },
      with_parameters({random_input({4, 3, 2}), random_input({4, 3, 3}), random_input({4, 3, 3})}, lstm)));

  nn::LSTM plain(2, 3, {.bias = false, .batch_first = false});
  CHECK(check_gradients(
      [&](const Ts& in) {
        auto r = plain(in[0]);
        return flat({r.output, r.h_n, r.c_n});
      },
      with_parameters({random_input({3, 2, 2})}, plain)));
}

TEST_CASE("GRU and LSTM: values in padded positions change nothing") {
  // Outputs (valid part, and the zero padding), final states and every parameter gradient are
  // bit-identical whatever the padding holds; the input gradient there is exactly zero.
  const std::vector<std::int64_t> lengths{5, 2, 4, 1};  // unsorted
  for (bool batch_first : {false, true}) {
    INFO("batch_first " << batch_first);
    manual_seed(17);
    nn::GRU gru(3, 4, {.num_layers = 2, .batch_first = batch_first, .bidirectional = true});
    nn::LSTM lstm(3, 4, {.num_layers = 2, .batch_first = batch_first, .bidirectional = true});
    const Shape x_shape = batch_first ? Shape{4, 5, 3} : Shape{5, 4, 3};
    const Shape out_shape = batch_first ? Shape{4, 5, 8} : Shape{5, 4, 8};
    const Array clean = random_array(x_shape);
    const Array scrambled = scramble_padding(clean, lengths, batch_first);
    REQUIRE_FALSE(identical(clean, scrambled));
    const Array out_seed = random_array(out_shape), h_seed = random_array({4, 4, 4}), c_seed = random_array({4, 4, 4});
    const Tensor h0 = Tensor(random_array({4, 4, 4})), c0 = Tensor(random_array({4, 4, 4}));

    struct Run {
      Array output, h_n, c_n, input_grad;
      std::vector<Array> grads;
    };
    auto run = [&](nn::RNNBase& m, const Array& x_value) {
      m.zero_grad();
      Tensor x(x_value, true);
      Run r;
      if (auto* g = dynamic_cast<nn::GRU*>(&m)) {
        auto [out, h_n] = (*g)(x, h0, lengths);
        backward_with({{out, out_seed}, {h_n, h_seed}});
        r.output = out.value();
        r.h_n = h_n.value();
      } else {
        auto [out, h_n, c_n] = dynamic_cast<nn::LSTM&>(m)(x, h0, c0, lengths);
        backward_with({{out, out_seed}, {h_n, h_seed}, {c_n, c_seed}});
        r.output = out.value();
        r.h_n = h_n.value();
        r.c_n = c_n.value();
      }
      r.input_grad = x.grad();
      for (const Tensor& p : m.parameters()) r.grads.push_back(p.grad());
      return r;
    };
    for (nn::RNNBase* m : std::vector<nn::RNNBase*>{&gru, &lstm}) {
      INFO(m->describe());
      const Run a = run(*m, clean), b = run(*m, scrambled);
      CHECK(identical(a.output, b.output));
      CHECK(identical(a.h_n, b.h_n));
      CHECK(identical(a.c_n, b.c_n));
      CHECK(identical(a.input_grad, b.input_grad));
      for (std::size_t k = 0; k < a.grads.size(); ++k) CHECK(identical(a.grads[k], b.grads[k]));
      // Outputs past each length are exactly zero, and so is the input gradient there.
      const Array zero_padding = scramble_padding(Array(xt::zeros<float>(out_shape)), lengths, batch_first);
      for (std::size_t i = 0; i < zero_padding.size(); ++i)
        if (zero_padding.data()[i] != 0.0f) CHECK(a.output.data()[i] == 0.0f);
      const Array marks = scramble_padding(Array(xt::zeros<float>(x_shape)), lengths, batch_first);
      for (std::size_t i = 0; i < marks.size(); ++i)
        if (marks.data()[i] != 0.0f) CHECK(a.input_grad.data()[i] == 0.0f);
    }
  }
}

TEST_CASE("GRU and LSTM with lengths equal running each sequence alone, cut to its length") {
  // The reference semantics of lengths, without PyTorch: in particular the reverse direction
  // must start at each sequence's own last step.
  manual_seed(18);
  nn::GRU gru(3, 4, {.num_layers = 2, .batch_first = false, .bidirectional = true});
  nn::LSTM lstm(3, 4, {.num_layers = 2, .batch_first = false, .bidirectional = true});
  const std::vector<std::int64_t> lengths{3, 6, 1};
  const Tensor x(random_array({6, 3, 3}));  // (T, B, I)
  const auto g = gru(x, {}, lengths);
  const auto l = lstm(x, {}, {}, lengths);
  for (std::size_t b = 0; b < lengths.size(); ++b) {
    INFO("sequence " << b);
    const auto n = lengths[b];
    const Tensor alone = narrow(narrow(x, 1, static_cast<std::int64_t>(b), 1), 0, 0, n);  // (n, 1, I)
    const auto ga = gru(alone);
    const auto la = lstm(alone);
    check_close("GRU output", narrow(narrow(g.output, 1, static_cast<std::int64_t>(b), 1), 0, 0, n).value(),
                ga.output.value());
    check_close("GRU h_n", narrow(g.h_n, 1, static_cast<std::int64_t>(b), 1).value(), ga.h_n.value());
    check_close("LSTM output", narrow(narrow(l.output, 1, static_cast<std::int64_t>(b), 1), 0, 0, n).value(),
                la.output.value());
    check_close("LSTM h_n", narrow(l.h_n, 1, static_cast<std::int64_t>(b), 1).value(), la.h_n.value());
    check_close("LSTM c_n", narrow(l.c_n, 1, static_cast<std::int64_t>(b), 1).value(), la.c_n.value());
  }
  // Full lengths are the same as none; an Index works like a vector.
  CHECK(identical(gru(x, {}, {6, 6, 6}).output.value(), gru(x).output.value()));
  Index as_index = Index::from_shape({3});
  std::copy(lengths.begin(), lengths.end(), as_index.begin());
  CHECK(identical(gru(x, {}, as_index).h_n.value(), g.h_n.value()));
}

TEST_CASE("GRU and LSTM: dropout between layers only while training") {
  manual_seed(19);
  nn::LSTM lstm(3, 4, {.num_layers = 3, .batch_first = false, .dropout = 0.5f});
  const Tensor x(random_array({5, 2, 3}));
  lstm.eval();
  const Array eval_out = lstm(x).output.value();
  CHECK(identical(lstm(x).output.value(), eval_out));
  lstm.train();
  CHECK_FALSE(identical(lstm(x).output.value(), eval_out));
  nn::GRU no_dropout(3, 4, {.num_layers = 2, .batch_first = false});
  CHECK(identical(no_dropout(x).output.value(), no_dropout(x).output.value()));
  CHECK(check_gradients(
      [&](const Ts& in) {
        manual_seed(20);  // the same masks on every evaluation
        return lstm(in[0]).output;
      },
      {random_input({3, 2, 3})}));
}

TEST_CASE("GRU and LSTM: errors name the layer and show the shapes") {
  nn::GRU gru(4, 5, {.num_layers = 2, .batch_first = false, .bidirectional = true});
  REQUIRE_THROWS_AS(gru(ones({6, 4, 4, 1})), std::invalid_argument);
  REQUIRE_THROWS_WITH(gru(ones({6})), Contains("GRU: expected input of shape (T, B, 4) or (T, 4) unbatched, got (6,)"));
  REQUIRE_THROWS_WITH(gru(ones({6, 3, 7})),
                      Contains("GRU: input has shape (6, 3, 7) but input_size is 4 (expected (T, B, 4))"));
  REQUIRE_THROWS_WITH(gru(ones({6, 7})), Contains("GRU: input has shape (6, 7) but input_size is 4 (expected (T, 4))"));
  REQUIRE_THROWS_WITH(gru(ones({0, 3, 4})), Contains("GRU: input of shape (0, 3, 4) has no time steps"));
  REQUIRE_THROWS_WITH(
      gru(ones({6, 3, 4}), ones({2, 3, 5})),
      Contains("GRU: h0 has shape (2, 3, 5) but expected (4, 3, 5) = (num_layers * num_directions, B, hidden_size) "
               "for input of shape (6, 3, 4)"));
  REQUIRE_THROWS_WITH(gru(ones({6, 4}), ones({4, 1, 5})), Contains("GRU: h0 has shape (4, 1, 5) but expected (4, 5)"));
  REQUIRE_THROWS_WITH(gru(ones({6, 3, 4}), {}, {6, 2}),
                      Contains("GRU: got 2 lengths for a batch of 3 (input of shape (6, 3, 4))"));
  REQUIRE_THROWS_WITH(
      gru(ones({6, 3, 4}), {}, {6, 7, 1}),
      Contains("GRU: lengths[1] = 7 is out of range for input of shape (6, 3, 4) with 6 time steps (valid: 1 to 6)"));
  REQUIRE_THROWS_WITH(gru(ones({6, 3, 4}), {}, {6, 0, 1}), Contains("GRU: lengths[1] = 0 is out of range"));
  REQUIRE_THROWS_WITH(gru(ones({6, 3, 4}), {}, Index(xt::ones<std::int64_t>({3, 1}))),
                      Contains("GRU: lengths must be 1-D, got shape (3, 1)"));

  nn::LSTM lstm(4, 5, {.batch_first = true});
  REQUIRE_THROWS_WITH(lstm(ones({3, 6, 5})),
                      Contains("LSTM: input has shape (3, 6, 5) but input_size is 4 (expected (B, T, 4))"));
  REQUIRE_THROWS_WITH(
      lstm(ones({3, 6, 4}), {}, ones({1, 6, 5})),
      Contains("LSTM: c0 has shape (1, 6, 5) but expected (1, 3, 5) = (num_layers * num_directions, B, hidden_size) "
               "for input of shape (3, 6, 4)"));
  REQUIRE_THROWS_WITH(lstm(ones({3, 6, 4}), {}, {}, {6, 6}), Contains("LSTM: got 2 lengths for a batch of 3"));

  REQUIRE_THROWS_WITH(nn::GRU(4, 0), Contains("GRU: hidden_size must be positive"));
  REQUIRE_THROWS_WITH(nn::LSTM(4, 5, {.num_layers = 0}), Contains("LSTM: num_layers must be positive"));
  REQUIRE_THROWS_WITH(nn::GRU(4, 5, {.dropout = 1.5f}), Contains("GRU: dropout must be in [0, 1], got 1.5"));
}

TEST_CASE("GRUCell and LSTMCell: errors name the cell and show the shapes") {
  nn::GRUCell gru(4, 5);
  REQUIRE_THROWS_AS(gru(ones({2, 3})), std::invalid_argument);
  REQUIRE_THROWS_WITH(gru(ones({2, 3})), Contains("GRUCell: expected input of shape (B, 4) or (4,), got (2, 3)"));
  REQUIRE_THROWS_WITH(gru(ones({1, 2, 4})), Contains("GRUCell: expected input of shape (B, 4) or (4,), got (1, 2, 4)"));
  REQUIRE_THROWS_WITH(gru(ones({2, 4}), ones({3, 5})),
                      Contains("GRUCell: hx has shape (3, 5) but expected (2, 5) for input of shape (2, 4)"));
  REQUIRE_THROWS_WITH(gru(ones({4}), ones({1, 5})), Contains("GRUCell: hx has shape (1, 5) but expected (5,)"));
  nn::LSTMCell lstm(4, 5);
  REQUIRE_THROWS_WITH(lstm(ones({2, 5})), Contains("LSTMCell: expected input of shape (B, 4) or (4,), got (2, 5)"));
  REQUIRE_THROWS_WITH(lstm(ones({2, 4}), ones({2, 4})), Contains("LSTMCell: h has shape (2, 4) but expected (2, 5)"));
  REQUIRE_THROWS_WITH(lstm(ones({2, 4}), {}, ones({2, 6})),
                      Contains("LSTMCell: c has shape (2, 6) but expected (2, 5)"));
  REQUIRE_THROWS_WITH(nn::GRUCell(4, 0), Contains("GRUCell: hidden_size must be positive"));
  REQUIRE_THROWS_WITH(nn::LSTMCell(4, 0), Contains("LSTMCell: hidden_size must be positive"));

  REQUIRE_THROWS_WITH(
      gru.forward_gates(ones({2, 14})),
      Contains("GRUCell: expected gates_x of shape (B, 15) or (15,) (3 gates of hidden_size 5), got (2, 14)"));
  REQUIRE_THROWS_WITH(gru.forward_gates(ones({2, 15}), ones({3, 5})),
                      Contains("GRUCell: hx has shape (3, 5) but expected (2, 5) for gates_x of shape (2, 15)"));
  REQUIRE_THROWS_WITH(
      lstm.forward_gates(ones({1, 2, 20})),
      Contains("LSTMCell: expected gates_x of shape (B, 20) or (20,) (4 gates of hidden_size 5), got (1, 2, 20)"));
  REQUIRE_THROWS_WITH(lstm.forward_gates(ones({20}), {}, ones({2, 5})),
                      Contains("LSTMCell: c has shape (2, 5) but expected (5,) for gates_x of shape (20,)"));
}

TEST_CASE(
    "GRUCell and LSTMCell forward_gates: a step from gates the caller projected, as forward's, gradients included") {
  // A decoder under teacher forcing projects every step's known input at once and hands each step
  // its row of gates; the step must be forward's exactly, and its gradients must reach the weights.
  manual_seed(17);
  nn::GRUCell gru(3, 4);
  nn::LSTMCell lstm(3, 4);
  const Tensor x = random_input({2, 3}), h = random_input({2, 4}), c = random_input({2, 4});
  CHECK(identical(gru.forward_gates(linear(x, gru.weight_ih, gru.bias_ih), h).value(), gru(x, h).value()));
  CHECK(identical(gru.forward_gates(linear(squeeze(narrow(x, 0, 0, 1), 0), gru.weight_ih, gru.bias_ih)).value(),
                  gru(squeeze(narrow(x, 0, 0, 1), 0)).value()));  // unbatched, zero state
  const nn::LSTMState a = lstm.forward_gates(linear(x, lstm.weight_ih, lstm.bias_ih), h, c), b = lstm(x, h, c);
  CHECK((identical(a.h.value(), b.h.value()) && identical(a.c.value(), b.c.value())));
  // Through the gates, the state and every weight: gates_x = x W_ihᵀ + b_ih as its own input.
  const Tensor gates_gru = random_input({2, 12}), gates_lstm = random_input({2, 16});
  CHECK(check_gradients([&](const Ts& in) { return gru.forward_gates(in[0], in[1]); },
                        {gates_gru, h, gru.weight_hh, gru.bias_hh}));
  CHECK(check_gradients([&](const Ts& in) { return lstm.forward_gates(in[0], in[1], in[2]).c; },
                        {gates_lstm, h, c, lstm.weight_hh}));
}
