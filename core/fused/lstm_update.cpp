// Fused LSTM update (see the header for what it fuses).
#include <attograd/core/fused/lstm_update.hpp>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/fast_math.hpp>
#include <attograd/core/ops/shape_ops.hpp>

namespace attograd::fused {

void check_lstm_update(const Tensor& gates, const Tensor& c) {
  if (c.dim() != 2 || gates.dim() != 2 || gates.shape()[0] != c.shape()[0] || gates.shape()[1] != 4 * c.shape()[1])
    throw std::invalid_argument(fmt::format("lstm_update: expected gates (B, 4H) and c (B, H), got {} and {}",
                                            shape_str(gates.shape()), shape_str(c.shape())));
}

// One op producing [h' | c'] (B, 2H), which the caller reads as two views (their
// backwards add into one gradient). Forward keeps i, f, g, o and tanh c'; backward, with
// dh = dL/dh' and dc = dL/dc' + dh o (1 - tanh² c'):
//   di = dc g i (1 - i)    df = dc c f (1 - f)    dg = dc i (1 - g²)    do = dh tanh(c') o (1 - o)
//   d gates = [di, df, dg, do]    d c = dc f
HiddenAndCell lstm_update(const Tensor& gates, const Tensor& c, Where caller) {
  const CallSite call_site(caller);
  check_lstm_update(gates, c);
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

}  // namespace attograd::fused
