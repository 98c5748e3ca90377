// GRUCell and GRU: one shared step function, driven once (the cell) or over time (RNNBase).
#include <attograd/nn/rnn/gru.hpp>

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/fused/gru_update.hpp>
#include <attograd/core/fused/switch.hpp>
#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/linalg.hpp>
#include <attograd/core/ops/shape_ops.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

namespace functional {

// The gate equations (gru.hpp) as core ops, each recording its own backward.
Tensor gru_update(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h) {
  fused::check_gru_update(gates_x, gates_h, h);
  if (fused_kernels_enabled()) return fused::gru_update(gates_x, gates_h, h);  // core/fused/gru_update.hpp
  const std::vector<Tensor> x_part = chunk(gates_x, 3, -1);                    // r, z, n: each (B, H)
  const std::vector<Tensor> h_part = chunk(gates_h, 3, -1);
  const Tensor r = sigmoid(x_part[0] + h_part[0]);   // (B, H)
  const Tensor z = sigmoid(x_part[1] + h_part[1]);   // (B, H)
  const Tensor n = tanh(x_part[2] + r * h_part[2]);  // (B, H)
  return (1.0f - z) * n + z * h;                     // (B, H)
}

}  // namespace functional

namespace {
// gates_x = x W_ihᵀ + b_ih (B, 3H), h (B, H), w_hh = W_hh (3H, H) -> h' (B, H).
// The input and hidden parts stay apart because r multiplies only the hidden part of n.
Tensor gru_step(const Tensor& gates_x, const Tensor& h, const Tensor& w_hh, const Tensor& b_hh) {
  const Tensor gates_h = linear(h, w_hh, b_hh);  // h W_hhᵀ + b_hh: (B, 3H)
  return functional::gru_update(gates_x, gates_h, h);
}
}  // namespace

GRUCell::GRUCell(const GRUCellOptions& options) : options_(options) {
  if (options.hidden_size == 0) throw std::invalid_argument("GRUCell: hidden_size must be positive");
  const std::size_t H = options.hidden_size;
  weight_ih = register_parameter("weight_ih", zeros({3 * H, options.input_size}));
  weight_hh = register_parameter("weight_hh", zeros({3 * H, H}));
  if (options.bias) {
    bias_ih = register_parameter("bias_ih", zeros({3 * H}));
    bias_hh = register_parameter("bias_hh", zeros({3 * H}));
  }
  reset_parameters();
}

GRUCell::GRUCell(std::size_t input_size, std::size_t hidden_size, bool bias)
    : GRUCell(GRUCellOptions{.input_size = input_size, .hidden_size = hidden_size, .bias = bias}) {}

void GRUCell::reset_parameters() {
  const std::size_t H = options_.hidden_size;  // every weight U(-1/√H, 1/√H), as PyTorch
  init::uniform_fan_in_(weight_ih, H);
  init::uniform_fan_in_(weight_hh, H);
  if (!bias_ih.defined()) return;
  init::uniform_fan_in_(bias_ih, H);
  init::uniform_fan_in_(bias_hh, H);
}

namespace {
// GRUCell's step from gates_x (B, 3H) or (3H); `given` names what the caller passed, for the message.
Tensor cell_step(const GRUCell& cell, const Tensor& gates_x, const Tensor& hx, const std::string& given) {
  const std::size_t H = cell.options().hidden_size;
  const bool batched = gates_x.dim() == 2;
  const Tensor g = batched ? gates_x : unsqueeze(gates_x, 0);  // (B, 3H)
  const std::size_t B = g.shape()[0];
  Tensor h = zeros({B, H});  // (B, H)
  if (hx.defined()) {
    const Shape expected = batched ? Shape{B, H} : Shape{H};
    if (hx.shape() != expected)
      throw std::invalid_argument(fmt::format("GRUCell: hx has shape {} but expected {} for {}", shape_str(hx.shape()),
                                              shape_str(expected), given));
    h = batched ? hx : unsqueeze(hx, 0);
  }
  const Tensor h_next = gru_step(g, h, cell.weight_hh, cell.bias_hh);  // (B, H)
  return batched ? h_next : squeeze(h_next, 0);
}
}  // namespace

Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) const {
  if ((input.dim() != 1 && input.dim() != 2) || input.shape().back() != options_.input_size)
    throw std::invalid_argument(fmt::format("GRUCell: expected input of shape (B, {}) or ({},), got {}",
                                            options_.input_size, options_.input_size, shape_str(input.shape())));
  const Tensor gates_x = linear(input, weight_ih, bias_ih);  // input W_ihᵀ + b_ih: (B, 3H) or (3H)
  return cell_step(*this, gates_x, hx, fmt::format("input of shape {}", shape_str(input.shape())));
}

Tensor GRUCell::forward_gates(const Tensor& gates_x, const Tensor& hx) const {
  const std::size_t G = 3 * options_.hidden_size;
  if ((gates_x.dim() != 1 && gates_x.dim() != 2) || gates_x.shape().back() != G)
    throw std::invalid_argument(
        fmt::format("GRUCell: expected gates_x of shape (B, {}) or ({},) (3 gates of hidden_size {}), got {}", G, G,
                    options_.hidden_size, shape_str(gates_x.shape())));
  return cell_step(*this, gates_x, hx, fmt::format("gates_x of shape {}", shape_str(gates_x.shape())));
}

std::string GRUCell::describe() const {
  return fmt::format("GRUCell(input_size={}, hidden_size={}, bias={})", options_.input_size, options_.hidden_size,
                     bias_ih.defined());
}

GRU::GRU(const GRUOptions& options) : RNNBase("GRU", 3, {"h0"}, options) {}

GRU::GRU(std::size_t input_size, std::size_t hidden_size, const GRUOptions& options)
    : GRU(with_sizes(options, input_size, hidden_size)) {}

GRUOutput GRU::forward(const Tensor& input, const Tensor& h0, const SequenceLengths& lengths) const {
  Result r = run(input, {h0}, lengths);
  return {r.output, r.final[0]};
}

RNNBase::State GRU::step(const Tensor& gates_x, const State& state, const StepWeights& w) const {
  return {gru_step(gates_x, state[0], w.w_hh, w.b_hh)};
}

}  // namespace attograd::nn
