// LSTMCell and LSTM: one shared step function, driven once (the cell) or over time (RNNBase).
#include <attograd/nn/rnn/lstm.hpp>

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/fast_math.hpp>
#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/linalg.hpp>
#include <attograd/core/ops/shape_ops.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

namespace functional {

namespace {
void check_update_shapes(const Tensor& gates, const Tensor& c) {
  if (c.dim() != 2 || gates.dim() != 2 || gates.shape()[0] != c.shape()[0] || gates.shape()[1] != 4 * c.shape()[1])
    throw std::invalid_argument(fmt::format("lstm_update: expected gates (B, 4H) and c (B, H), got {} and {}",
                                            shape_str(gates.shape()), shape_str(c.shape())));
}
}  // namespace

// The readable form: each gate equation as core ops, each recording its own backward.
LSTMState lstm_update_composite(const Tensor& gates, const Tensor& c) {
  check_update_shapes(gates, c);
  const std::vector<Tensor> part = chunk(gates, 4, -1);  // i, f, g, o: each (B, H)
  const Tensor i = sigmoid(part[0]);
  const Tensor f = sigmoid(part[1]);
  const Tensor g = tanh(part[2]);
  const Tensor o = sigmoid(part[3]);
  const Tensor c_next = f * c + i * g;  // (B, H)
  return {o * tanh(c_next), c_next};    // (B, H), (B, H)
}

// The same as one op producing [h' | c'] (B, 2H), which the caller reads as two views (their
// backwards add into one gradient). Forward keeps i, f, g, o and tanh c'; backward, with
// dh = dL/dh' and dc = dL/dc' + dh o (1 - tanh² c'):
//   di = dc g i (1 - i)    df = dc c f (1 - f)    dg = dc i (1 - g²)    do = dh tanh(c') o (1 - o)
//   d gates = [di, df, dg, do]    d c = dc f
LSTMState lstm_update(const Tensor& gates, const Tensor& c) {
  check_update_shapes(gates, c);
  const std::size_t B = c.shape()[0], H = c.shape()[1];
  Array saved = Array::from_shape({B, 5 * H});  // i, f, g, o, tanh c' per row
  Array h_c = Array::from_shape({B, 2 * H});    // h', c' per row
  for (std::size_t b = 0; b < B; ++b) {
    float* i = saved.data() + b * 5 * H;
    float *f = i + H, *g = f + H, *o = g + H, *tanh_c = o + H;
    const float* pre = gates.value().data() + b * 4 * H;
    const float* cb = c.value().data() + b * H;
    fast::sigmoid(pre, i, 2 * H);      // i, f
    fast::tanh(pre + 2 * H, g, H);     // g
    fast::sigmoid(pre + 3 * H, o, H);  // o
    float* h_next = h_c.data() + b * 2 * H;
    float* c_next = h_next + H;
    for (std::size_t k = 0; k < H; ++k) c_next[k] = f[k] * cb[k] + i[k] * g[k];
    fast::tanh(c_next, tanh_c, H);
    for (std::size_t k = 0; k < H; ++k) h_next[k] = o[k] * tanh_c[k];
  }
  const Tensor packed =
      make_result("lstm_update", std::move(h_c), {gates, c},
                  [saved = std::move(saved), B, H](const Array& grad, const Array&, const std::vector<Tensor>& in) {
                    Array d_gates = Array::from_shape({B, 4 * H}), d_c = Array::from_shape({B, H});
                    for (std::size_t b = 0; b < B; ++b) {
                      const float* i = saved.data() + b * 5 * H;
                      const float *f = i + H, *g = f + H, *o = g + H, *tanh_c = o + H;
                      const float* dh = grad.data() + b * 2 * H;
                      const float* dc_next = dh + H;
                      const float* cb = in[1].value().data() + b * H;
                      float* dg_row = d_gates.data() + b * 4 * H;
                      for (std::size_t k = 0; k < H; ++k) {
                        const float dc = dc_next[k] + dh[k] * o[k] * (1.0f - tanh_c[k] * tanh_c[k]);
                        dg_row[k] = dc * g[k] * i[k] * (1.0f - i[k]);
                        dg_row[H + k] = dc * cb[k] * f[k] * (1.0f - f[k]);
                        dg_row[2 * H + k] = dc * i[k] * (1.0f - g[k] * g[k]);
                        dg_row[3 * H + k] = dh[k] * tanh_c[k] * o[k] * (1.0f - o[k]);
                        d_c.data()[b * H + k] = dc * f[k];
                      }
                    }
                    accumulate_grad(in[0], std::move(d_gates));
                    accumulate_grad(in[1], std::move(d_c));
                  });
  const auto width = static_cast<std::int64_t>(H);
  return {narrow(packed, 1, 0, width), narrow(packed, 1, width, width)};  // (B, H), (B, H)
}

}  // namespace functional

namespace {
// gates_x = x W_ihᵀ + b_ih (B, 4H), h and c (B, H), w_hh = W_hh (4H, H) -> {h', c'} (B, H).
LSTMState lstm_step(const Tensor& gates_x, const Tensor& h, const Tensor& c, const Tensor& w_hh, const Tensor& b_hh) {
  return functional::lstm_update(gates_x + linear(h, w_hh, b_hh), c);  // gates (B, 4H)
}
}  // namespace

LSTMCell::LSTMCell(std::size_t input_size, std::size_t hidden_size, bool bias)
    : input_size_(input_size), hidden_size_(hidden_size) {
  if (hidden_size == 0) throw std::invalid_argument("LSTMCell: hidden_size must be positive");
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  weight_ih = init::uniform_(register_parameter("weight_ih", zeros({4 * hidden_size, input_size})), -bound, bound);
  weight_hh = init::uniform_(register_parameter("weight_hh", zeros({4 * hidden_size, hidden_size})), -bound, bound);
  if (bias) {
    bias_ih = init::uniform_(register_parameter("bias_ih", zeros({4 * hidden_size})), -bound, bound);
    bias_hh = init::uniform_(register_parameter("bias_hh", zeros({4 * hidden_size})), -bound, bound);
  }
}

LSTMState LSTMCell::forward(const Tensor& input, const Tensor& h, const Tensor& c) const {
  if ((input.dim() != 1 && input.dim() != 2) || input.shape().back() != input_size_)
    throw std::invalid_argument(fmt::format("LSTMCell: expected input of shape (B, {}) or ({},), got {}", input_size_,
                                            input_size_, shape_str(input.shape())));
  const bool batched = input.dim() == 2;
  const Tensor x = batched ? input : unsqueeze(input, 0);  // (B, I)
  const std::size_t B = x.shape()[0];
  const Shape expected = batched ? Shape{B, hidden_size_} : Shape{hidden_size_};
  auto state = [&](const Tensor& given, const char* name) {  // (B, H)
    if (!given.defined()) return zeros({B, hidden_size_});
    if (given.shape() != expected)
      throw std::invalid_argument(fmt::format("LSTMCell: {} has shape {} but expected {} for input of shape {}", name,
                                              shape_str(given.shape()), shape_str(expected), shape_str(input.shape())));
    return batched ? given : unsqueeze(given, 0);
  };
  const Tensor h_prev = state(h, "h"), c_prev = state(c, "c");
  Tensor gates_x = linear(x, weight_ih);  // (B, 4H)
  if (bias_ih.defined()) gates_x = gates_x + bias_ih;
  LSTMState next = lstm_step(gates_x, h_prev, c_prev, weight_hh, bias_hh);
  if (!batched) next = {squeeze(next.h, 0), squeeze(next.c, 0)};
  return next;
}

std::string LSTMCell::describe() const {
  return fmt::format("LSTMCell(input_size={}, hidden_size={}, bias={})", input_size_, hidden_size_, bias_ih.defined());
}

LSTM::LSTM(std::size_t input_size, std::size_t hidden_size, const RNNOptions& options)
    : RNNBase("LSTM", 4, {"h0", "c0"}, input_size, hidden_size, options) {}

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
