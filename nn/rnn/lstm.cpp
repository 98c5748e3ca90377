// LSTMCell and LSTM: one shared step function, driven once (the cell) or over time (RNNBase).
#include <attograd/nn/rnn/lstm.hpp>

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/fused/lstm_update.hpp>
#include <attograd/core/fused/switch.hpp>
#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/linalg.hpp>
#include <attograd/core/ops/shape_ops.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

namespace functional {

// The gate equations (lstm.hpp) as core ops, each recording its own backward.
LSTMState lstm_update(const Tensor& gates, const Tensor& c) {
  fused::check_lstm_update(gates, c);
  if (fused_kernels_enabled()) {  // the same as one op: core/fused/lstm_update.hpp
    const auto [h_next, c_next] = fused::lstm_update(gates, c);
    return {h_next, c_next};
  }
  const std::vector<Tensor> part = chunk(gates, 4, -1);  // i, f, g, o: each (B, H)
  const Tensor i = sigmoid(part[0]);
  const Tensor f = sigmoid(part[1]);
  const Tensor g = tanh(part[2]);
  const Tensor o = sigmoid(part[3]);
  const Tensor c_next = f * c + i * g;  // (B, H)
  return {o * tanh(c_next), c_next};    // (B, H), (B, H)
}

}  // namespace functional

namespace {
// gates_x = x W_ihᵀ + b_ih (B, 4H), h and c (B, H), w_hh = W_hh (4H, H) -> {h', c'} (B, H).
LSTMState lstm_step(const Tensor& gates_x, const Tensor& h, const Tensor& c, const Tensor& w_hh, const Tensor& b_hh) {
  return functional::lstm_update(gates_x + linear(h, w_hh, b_hh), c);  // gates (B, 4H)
}
}  // namespace

LSTMCell::LSTMCell(const LSTMCellOptions& options) : options_(options) {
  if (options.hidden_size == 0) throw std::invalid_argument("LSTMCell: hidden_size must be positive");
  const std::size_t H = options.hidden_size;
  weight_ih = register_parameter("weight_ih", zeros({4 * H, options.input_size}));
  weight_hh = register_parameter("weight_hh", zeros({4 * H, H}));
  if (options.bias) {
    bias_ih = register_parameter("bias_ih", zeros({4 * H}));
    bias_hh = register_parameter("bias_hh", zeros({4 * H}));
  }
  reset_parameters();
}

LSTMCell::LSTMCell(std::size_t input_size, std::size_t hidden_size, bool bias)
    : LSTMCell(LSTMCellOptions{.input_size = input_size, .hidden_size = hidden_size, .bias = bias}) {}

void LSTMCell::reset_parameters() {
  const std::size_t H = options_.hidden_size;  // every weight U(-1/√H, 1/√H), as PyTorch
  init::uniform_fan_in_(weight_ih, H);
  init::uniform_fan_in_(weight_hh, H);
  if (!bias_ih.defined()) return;
  init::uniform_fan_in_(bias_ih, H);
  init::uniform_fan_in_(bias_hh, H);
}

namespace {
// LSTMCell's step from gates_x (B, 4H) or (4H); `given` names what the caller passed, for the message.
LSTMState cell_step(const LSTMCell& cell, const Tensor& gates_x, const Tensor& h, const Tensor& c,
                    const std::string& given) {
  const std::size_t H = cell.options().hidden_size;
  const bool batched = gates_x.dim() == 2;
  const Tensor g = batched ? gates_x : unsqueeze(gates_x, 0);  // (B, 4H)
  const std::size_t B = g.shape()[0];
  const Shape expected = batched ? Shape{B, H} : Shape{H};
  auto state = [&](const Tensor& s, const char* name) {  // (B, H)
    if (!s.defined()) return zeros({B, H});
    if (s.shape() != expected)
      throw std::invalid_argument(fmt::format("LSTMCell: {} has shape {} but expected {} for {}", name,
                                              shape_str(s.shape()), shape_str(expected), given));
    return batched ? s : unsqueeze(s, 0);
  };
  const Tensor h_prev = state(h, "h"), c_prev = state(c, "c");
  LSTMState next = lstm_step(g, h_prev, c_prev, cell.weight_hh, cell.bias_hh);
  if (!batched) next = {squeeze(next.h, 0), squeeze(next.c, 0)};
  return next;
}
}  // namespace

LSTMState LSTMCell::forward(const Tensor& input, const Tensor& h, const Tensor& c) const {
  if ((input.dim() != 1 && input.dim() != 2) || input.shape().back() != options_.input_size)
    throw std::invalid_argument(fmt::format("LSTMCell: expected input of shape (B, {}) or ({},), got {}",
                                            options_.input_size, options_.input_size, shape_str(input.shape())));
  const Tensor gates_x = linear(input, weight_ih, bias_ih);  // input W_ihᵀ + b_ih: (B, 4H) or (4H)
  return cell_step(*this, gates_x, h, c, fmt::format("input of shape {}", shape_str(input.shape())));
}

LSTMState LSTMCell::forward_gates(const Tensor& gates_x, const Tensor& h, const Tensor& c) const {
  const std::size_t G = 4 * options_.hidden_size;
  if ((gates_x.dim() != 1 && gates_x.dim() != 2) || gates_x.shape().back() != G)
    throw std::invalid_argument(
        fmt::format("LSTMCell: expected gates_x of shape (B, {}) or ({},) (4 gates of hidden_size {}), got {}", G, G,
                    options_.hidden_size, shape_str(gates_x.shape())));
  return cell_step(*this, gates_x, h, c, fmt::format("gates_x of shape {}", shape_str(gates_x.shape())));
}

std::string LSTMCell::describe() const {
  return fmt::format("LSTMCell(input_size={}, hidden_size={}, bias={})", options_.input_size, options_.hidden_size,
                     bias_ih.defined());
}

LSTM::LSTM(const LSTMOptions& options) : RNNBase("LSTM", 4, {"h0", "c0"}, options) {}

LSTM::LSTM(std::size_t input_size, std::size_t hidden_size, const LSTMOptions& options)
    : LSTM(with_sizes(options, input_size, hidden_size)) {}

LSTMOutput LSTM::forward(const Tensor& input, const Tensor& h0, const Tensor& c0,
                         const SequenceLengths& lengths) const {
  Result r = run(input, {h0, c0}, lengths);
  return {r.output, r.final[0], r.final[1]};
}

RNNBase::State LSTM::step(const Tensor& gates_x, const State& state, const StepWeights& w) const {
  LSTMState next = lstm_step(gates_x, state[0], state[1], w.w_hh, w.b_hh);
  return {next.h, next.c};
}

}  // namespace attograd::nn
