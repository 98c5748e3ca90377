// Fused GRU update (see the header for what it fuses).
#include <attograd/core/fused/gru_update.hpp>

#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/fast_math.hpp>

namespace attograd::fused {

void check_gru_update(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h) {
  const bool ok = h.dim() == 2 && gates_x.dim() == 2 && gates_x.shape() == gates_h.shape() &&
                  gates_x.shape()[0] == h.shape()[0] && gates_x.shape()[1] == 3 * h.shape()[1];
  if (!ok)
    throw std::invalid_argument(
        fmt::format("gru_update: expected gates_x and gates_h (B, 3H) and h (B, H), got {}, {}, {}",
                    shape_str(gates_x.shape()), shape_str(gates_h.shape()), shape_str(h.shape())));
}

// Forward keeps r, z, n; backward, with g = dL/dh':
//   dn = g (1 - z)        dz = g (h - n)                 dh = g z
//   da_n = dn (1 - n²)    da_r = da_n h_n r (1 - r)      da_z = dz z (1 - z)
//   d gates_x = [da_r, da_z, da_n]        d gates_h = [da_r, da_z, da_n r]
// where a_* are the pre-activations and h_n the n-part of gates_h.
Tensor gru_update(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h, Where caller) {
  const CallSite call_site(caller);
  check_gru_update(gates_x, gates_h, h);
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

}  // namespace attograd::fused
