// Fused softmax and log_softmax (see the header for what they fuse and their derivatives).
#include <attograd/core/fused/softmax.hpp>

#include <array>
#include <tuple>
#include <vector>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/fast_math.hpp>
#include <attograd/core/kernels/loops.hpp>

namespace attograd::fused {

namespace {
using Inputs = std::vector<Tensor>;

// x seen as (outer, n, inner) around dim; a "row" is the n elements at one (outer, inner),
// `inner` apart in memory. for_each_row hands each row to a kernel as contiguous memory: in
// place when dim is the last one (inner == 1, the usual case), through scratch copies otherwise.
struct Rows {
  std::size_t outer = 1, n = 1, inner = 1;
  Rows(const Shape& s, std::size_t dim) {
    for (std::size_t d = 0; d < s.size(); ++d) (d < dim ? outer : d == dim ? n : inner) *= s[d];
  }

  // row(in[0] row, ..., in[N-1] row, out row) for every row, each pointer to n contiguous floats.
  template <std::size_t N, class F>
  void for_each_row(const std::array<const float*, N>& in, float* out, F&& row) const {
    if (inner == 1) {
      for (std::size_t o = 0; o < outer; ++o) std::apply([&](auto... x) { row((x + o * n)..., out + o * n); }, in);
      return;
    }
    std::vector<float> scratch((N + 1) * n);
    for (std::size_t o = 0; o < outer; ++o) {
      for (std::size_t i = 0; i < inner; ++i) {
        const std::size_t at = o * n * inner + i;
        for (std::size_t k = 0; k < N; ++k)
          for (std::size_t j = 0; j < n; ++j) scratch[k * n + j] = in[k][at + j * inner];
        std::array<const float*, N> rows_in;
        for (std::size_t k = 0; k < N; ++k) rows_in[k] = scratch.data() + k * n;
        float* row_out = scratch.data() + N * n;
        std::apply([&](auto... x) { row(x..., row_out); }, rows_in);
        for (std::size_t j = 0; j < n; ++j) out[at + j * inner] = row_out[j];
      }
    }
  }
};

Array softmax_rows(const Array& x, const Rows& rows, bool log_space) {
  Array y = Array::from_shape(x.shape());
  rows.for_each_row<1>({x.data()}, y.data(),
                       [&](const float* x_row, float* y_row) { softmax_row(x_row, y_row, rows.n, log_space); });
  return y;
}
}  // namespace

// y = softmax(x)           dx = y ⊙ (g - Σ_row g ⊙ y)
Tensor softmax(const Tensor& x, int dim) {
  const Rows rows(x.shape(), normalize_dim("softmax", dim, x.dim()));
  return make_result("softmax", softmax_rows(x.value(), rows, false), {x},
                     [rows](const Array& g, const Array& y, const Inputs& in) {
                       Array dx = Array::from_shape(y.shape());
                       rows.for_each_row<2>({g.data(), y.data()}, dx.data(),
                                            [n = rows.n](const float* g_row, const float* y_row, float* dx_row) {
                                              softmax_backward_row(g_row, y_row, dx_row, n);
                                            });
                       accumulate_grad(in[0], std::move(dx));
                     });
}

// y = log softmax(x)       dx = g - exp(y) Σ_row g
Tensor log_softmax(const Tensor& x, int dim) {
  const Rows rows(x.shape(), normalize_dim("log_softmax", dim, x.dim()));
  return make_result("log_softmax", softmax_rows(x.value(), rows, true), {x},
                     [rows](const Array& g, const Array& y, const Inputs& in) {
                       Array dx = Array::from_shape(y.shape());
                       rows.for_each_row<2>({g.data(), y.data()}, dx.data(),
                                            [n = rows.n](const float* g_row, const float* y_row, float* dx_row) {
                                              const float total = fast::sum(g_row, n);
                                              fast::exp(y_row, dx_row, n);
                                              for (std::size_t j = 0; j < n; ++j)
                                                dx_row[j] = g_row[j] - dx_row[j] * total;
                                            });
                       accumulate_grad(in[0], std::move(dx));
                     });
}

}  // namespace attograd::fused
