// GRUCell and GRU: one shared step function, driven once (the cell) or over time (RNNBase).
#include <attograd/nn/rnn/gru.hpp>

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
void check_update_shapes(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h) {
  const bool ok = h.dim() == 2 && gates_x.dim() == 2 && gates_x.shape() == gates_h.shape() &&
                  gates_x.shape()[0] == h.shape()[0] && gates_x.shape()[1] == 3 * h.shape()[1];
  if (!ok)
    throw std::invalid_argument(
        fmt::format("gru_update: expected gates_x and gates_h (B, 3H) and h (B, H), got {}, {}, {}",
                    shape_str(gates_x.shape()), shape_str(gates_h.shape()), shape_str(h.shape())));
}
}  // namespace

// The readable form: six core ops per gate equation, each recording its own backward.
Tensor gru_update_composite(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h) {
  check_update_shapes(gates_x, gates_h, h);
  const std::vector<Tensor> x_part = chunk(gates_x, 3, -1);  // r, z, n: each (B, H)
  const std::vector<Tensor> h_part = chunk(gates_h, 3, -1);
  const Tensor r = sigmoid(x_part[0] + h_part[0]);   // (B, H)
  const Tensor z = sigmoid(x_part[1] + h_part[1]);   // (B, H)
  const Tensor n = tanh(x_part[2] + r * h_part[2]);  // (B, H)
  return (1.0f - z) * n + z * h;                     // (B, H)
}

// The same as one op. Forward keeps r, z, n; backward, with g = dL/dh':
//   dn = g (1 - z)        dz = g (h - n)                 dh = g z
//   da_n = dn (1 - n²)    da_r = da_n h_n r (1 - r)      da_z = dz z (1 - z)
//   d gates_x = [da_r, da_z, da_n]        d gates_h = [da_r, da_z, da_n r]
// where a_* are the pre-activations and h_n the n-part of gates_h.
Tensor gru_update(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h) {
  check_update_shapes(gates_x, gates_h, h);
  const std::size_t B = h.shape()[0], H = h.shape()[1];
  Array rzn = Array::from_shape({B, 3 * H});  // r, z, n per row, kept for the backward
  Array h_next = Array::from_shape({B, H});
  for (std::size_t b = 0; b < B; ++b) {
    const float* gx = gates_x.value().data() + b * 3 * H;
    const float* gh = gates_h.value().data() + b * 3 * H;
    const float* hb = h.value().data() + b * H;
    float* r = rzn.data() + b * 3 * H;
    float* z = r + H;
    float* n = z + H;
    for (std::size_t i = 0; i < 2 * H; ++i) r[i] = gx[i] + gh[i];  // r and z pre-activations
    fast::sigmoid(r, r, 2 * H);
    for (std::size_t i = 0; i < H; ++i) n[i] = gx[2 * H + i] + r[i] * gh[2 * H + i];
    fast::tanh(n, n, H);
    float* out = h_next.data() + b * H;
    for (std::size_t i = 0; i < H; ++i) out[i] = (1.0f - z[i]) * n[i] + z[i] * hb[i];
  }
  return make_result("gru_update", std::move(h_next), {gates_x, gates_h, h},
                     [rzn = std::move(rzn), B, H](const Array& g, const Array&, const std::vector<Tensor>& in) {
                       Array d_gates_x = Array::from_shape({B, 3 * H}), d_gates_h = Array::from_shape({B, 3 * H});
                       Array dh = Array::from_shape({B, H});
                       for (std::size_t b = 0; b < B; ++b) {
                         const float* r = rzn.data() + b * 3 * H;
                         const float* z = r + H;
                         const float* n = z + H;
                         const float* gb = g.data() + b * H;
                         const float* hb = in[2].value().data() + b * H;
                         const float* h_n = in[1].value().data() + b * 3 * H + 2 * H;
                         float* dx = d_gates_x.data() + b * 3 * H;
                         float* dhh = d_gates_h.data() + b * 3 * H;
                         for (std::size_t i = 0; i < H; ++i) {
                           const float da_n = gb[i] * (1.0f - z[i]) * (1.0f - n[i] * n[i]);
                           const float da_r = da_n * h_n[i] * r[i] * (1.0f - r[i]);
                           const float da_z = gb[i] * (hb[i] - n[i]) * z[i] * (1.0f - z[i]);
                           dx[i] = dhh[i] = da_r;
                           dx[H + i] = dhh[H + i] = da_z;
                           dx[2 * H + i] = da_n;
                           dhh[2 * H + i] = da_n * r[i];
                           dh.data()[b * H + i] = gb[i] * z[i];
                         }
                       }
                       accumulate_grad(in[0], std::move(d_gates_x));
                       accumulate_grad(in[1], std::move(d_gates_h));
                       accumulate_grad(in[2], std::move(dh));
                     });
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

GRUCell::GRUCell(std::size_t input_size, std::size_t hidden_size, bool bias)
    : input_size_(input_size), hidden_size_(hidden_size) {
  if (hidden_size == 0) throw std::invalid_argument("GRUCell: hidden_size must be positive");
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  weight_ih = init::uniform_(register_parameter("weight_ih", zeros({3 * hidden_size, input_size})), -bound, bound);
  weight_hh = init::uniform_(register_parameter("weight_hh", zeros({3 * hidden_size, hidden_size})), -bound, bound);
  if (bias) {
    bias_ih = init::uniform_(register_parameter("bias_ih", zeros({3 * hidden_size})), -bound, bound);
    bias_hh = init::uniform_(register_parameter("bias_hh", zeros({3 * hidden_size})), -bound, bound);
  }
}

Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) const {
  if ((input.dim() != 1 && input.dim() != 2) || input.shape().back() != input_size_)
    throw std::invalid_argument(fmt::format("GRUCell: expected input of shape (B, {}) or ({},), got {}", input_size_,
                                            input_size_, shape_str(input.shape())));
  const bool batched = input.dim() == 2;
  const Tensor x = batched ? input : unsqueeze(input, 0);  // (B, I)
  const std::size_t B = x.shape()[0];
  Tensor h = zeros({B, hidden_size_});  // (B, H)
  if (hx.defined()) {
    const Shape expected = batched ? Shape{B, hidden_size_} : Shape{hidden_size_};
    if (hx.shape() != expected)
      throw std::invalid_argument(fmt::format("GRUCell: hx has shape {} but expected {} for input of shape {}",
                                              shape_str(hx.shape()), shape_str(expected), shape_str(input.shape())));
    h = batched ? hx : unsqueeze(hx, 0);
  }
  Tensor gates_x = linear(x, weight_ih);  // (B, 3H)
  if (bias_ih.defined()) gates_x = gates_x + bias_ih;
  const Tensor h_next = gru_step(gates_x, h, weight_hh, bias_hh);  // (B, H)
  return batched ? h_next : squeeze(h_next, 0);
}

std::string GRUCell::describe() const {
  return fmt::format("GRUCell(input_size={}, hidden_size={}, bias={})", input_size_, hidden_size_, bias_ih.defined());
}

GRU::GRU(std::size_t input_size, std::size_t hidden_size, const RNNOptions& options)
    : RNNBase("GRU", 3, {"h0"}, input_size, hidden_size, options) {}

GRUOutput GRU::forward(const Tensor& input, const Tensor& h0, const SequenceLengths& lengths) const {
  Result r = run(input, {h0}, lengths);
  return {r.output, r.final[0]};
}

RNNBase::State GRU::step(const Tensor& gates_x, const State& state, const StepWeights& w) const {
  return {gru_step(gates_x, state[0], w.w_hh, w.b_hh)};
}

}  // namespace attograd::nn
