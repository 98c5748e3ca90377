// matmul and its batched BLAS driver.
#include <attograd/core/ops/linalg.hpp>

#include <array>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/blas.hpp>
#include <attograd/core/kernels/loops.hpp>
#include <attograd/core/kernels/parallel.hpp>
#include <attograd/core/ops/shape_ops.hpp>

namespace attograd {

using Inputs = std::vector<Tensor>;

namespace {
Shape batch_of(const Shape& s) { return Shape(s.begin(), s.end() - 2); }

std::string inner_mismatch(const Shape& a, const Shape& b, std::size_t ka, std::size_t kb) {
  return fmt::format("matmul: cannot multiply {} by {}: inner dimensions {} and {} differ", shape_str(a), shape_str(b),
                     ka, kb);
}
}  // namespace

Array matmul_arrays(const Array& a, bool transpose_a, const Array& b, bool transpose_b) {
  if (a.dimension() < 2 || b.dimension() < 2)
    throw std::invalid_argument(fmt::format("matmul_arrays: both operands need 2+ dims, got {} and {}",
                                            shape_str(a.shape()), shape_str(b.shape())));
  const std::size_t ra = a.shape()[a.dimension() - 2], ca = a.shape()[a.dimension() - 1];
  const std::size_t rb = b.shape()[b.dimension() - 2], cb = b.shape()[b.dimension() - 1];
  const std::size_t m = transpose_a ? ca : ra, k = transpose_a ? ra : ca;
  const std::size_t kb = transpose_b ? cb : rb, n = transpose_b ? rb : cb;
  if (k != kb) throw std::invalid_argument(inner_mismatch(a.shape(), b.shape(), k, kb));

  const Shape a_batch = batch_of(a.shape()), b_batch = batch_of(b.shape());
  for (std::size_t i = 1; i <= std::min(a_batch.size(), b_batch.size()); ++i) {
    const std::size_t x = a_batch[a_batch.size() - i], y = b_batch[b_batch.size() - i];
    if (x != y && x != 1 && y != 1)
      throw std::invalid_argument(
          fmt::format("matmul: cannot multiply {} by {}: the batch dims {} and {} do not "
                      "broadcast (sizes {} and {} differ and neither is 1)",
                      shape_str(a.shape()), shape_str(b.shape()), shape_str(a_batch), shape_str(b_batch), x, y));
  }
  Shape shape = broadcast_shapes("matmul", a_batch, b_batch);
  const std::size_t batches = shape_numel(shape);
  shape.push_back(m);
  shape.push_back(n);
  Array out = Array::from_shape(shape);
  if (out.size() == 0) return out;
  if (k == 0) {
    std::fill(out.begin(), out.end(), 0.0f);
    return out;
  }

  // (..., M, K) @ (K, N): the batch folds into M, one BLAS call.
  if (!transpose_a && b.dimension() == 2) {
    blas::sgemm(false, transpose_b, batches * m, n, k, 1.0f, a.data(), ca, b.data(), cb, 0.0f, out.data(), n);
    return out;
  }
  const Shape batch = batch_of(shape);
  Strides a_strides = broadcast_strides(a_batch, batch), b_strides = broadcast_strides(b_batch, batch);
  for (auto& s : a_strides) s *= ra * ca;  // in matrices -> in floats
  for (auto& s : b_strides) s *= rb * cb;
  // One product per batch, at these offsets into A and B.
  std::vector<std::array<std::size_t, 2>> offsets;
  offsets.reserve(batches);
  for_each_offset<2>(batch, {a_strides, b_strides}, {0, 0},
                     [&](const std::array<std::size_t, 2>& at) { offsets.push_back(at); });
  // Many small products (a decoder step's (1, S) weights by its (S, 2H) values, for each of B
  // sequences) are shared out over the threads by batch, each run whole, as the attention heads
  // are (blas::call_cost_flops). Products of 2^20 multiply-adds and more run in turn, each split
  // by blas::sgemm itself.
  const bool small = m * n * k < blas::split_from;
  const double work = static_cast<double>(batches) * (2.0 * static_cast<double>(m * n * k) + blas::call_cost_flops);
  parallel_for(batches, small ? parallel_parts(batches, work) : 1, [&](std::size_t, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i)
      blas::sgemm(transpose_a, transpose_b, m, n, k, 1.0f, a.data() + offsets[i][0], ca, b.data() + offsets[i][1], cb,
                  0.0f, out.data() + i * m * n, n);
  });
  return out;
}

namespace {
// C = A B                  dA = G Bᵀ,  dB = Aᵀ G  (summed over broadcast batch dims)
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  return make_result("matmul", matmul_arrays(a.value(), false, b.value(), false), {a, b},
                     [](const Array& g, const Array&, const Inputs& in) {
                       const Array& av = in[0].value();
                       const Array& bv = in[1].value();
                       if (in[0].requires_grad())
                         accumulate_grad(in[0], sum_to(matmul_arrays(g, false, bv, true), av.shape()));
                       if (!in[1].requires_grad()) return;
                       if (bv.dimension() == 2) {
                         // A (..., M, K), G (..., M, N): dB = Σ_batch Aᵀ G is one product of the
                         // flattened (rows, K)ᵀ (rows, N).
                         const std::size_t k = bv.shape()[0], n = bv.shape()[1];
                         const std::size_t rows = av.size() / std::max<std::size_t>(k, 1);
                         Array db = xt::zeros<float>(bv.shape());
                         if (rows > 0)
                           blas::sgemm(true, false, k, n, rows, 1.0f, av.data(), k, g.data(), n, 0.0f, db.data(), n);
                         accumulate_grad(in[1], std::move(db));
                         return;
                       }
                       accumulate_grad(in[1], sum_to(matmul_arrays(av, true, g, false), bv.shape()));
                     });
}
}  // namespace

// C = op(A) op(B)          d op(A) = G op(B)ᵀ,  d op(B) = op(A)ᵀ G, each transposed back if its flag is set:
//                          dA = ta ? op(B) Gᵀ : G op(B)ᵀ,   dB = tb ? Gᵀ op(A) : op(A)ᵀ G
Tensor matmul_transposed(const Tensor& a, const Tensor& b, bool ta, bool tb, Where caller) {
  const CallSite call_site(caller);
  if (a.dim() < 2 || b.dim() < 2)
    throw std::invalid_argument(fmt::format("matmul_transposed: both operands need at least 2 dims, got {} and {}",
                                            shape_str(a.shape()), shape_str(b.shape())));
  if (!ta && !tb) return matmul_nd(a, b);
  return make_result("matmul", matmul_arrays(a.value(), ta, b.value(), tb), {a, b},
                     [ta, tb](const Array& g, const Array&, const Inputs& in) {
                       const Array& av = in[0].value();
                       const Array& bv = in[1].value();
                       if (in[0].requires_grad()) {
                         Array da = ta ? matmul_arrays(bv, tb, g, true) : matmul_arrays(g, false, bv, !tb);
                         accumulate_grad(in[0], sum_to(da, av.shape()));
                       }
                       if (in[1].requires_grad()) {
                         Array db = tb ? matmul_arrays(g, true, av, ta) : matmul_arrays(av, !ta, g, false);
                         accumulate_grad(in[1], sum_to(db, bv.shape()));
                       }
                     });
}

// y = x Wᵀ + b             dx = G W,  dW = Gᵀ x,  db = Σ_rows G      (x and G seen as (rows, ·))
namespace {
void check_linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  if (weight.dim() != 2)
    throw std::invalid_argument(fmt::format("linear: weight must be (out, in), got {}", shape_str(weight.shape())));
  const std::size_t out_features = weight.shape()[0], in_features = weight.shape()[1];
  if (x.dim() == 0 || x.shape().back() != in_features)
    throw std::invalid_argument(fmt::format("linear: input {} does not end in the weight's in_features {} (weight {})",
                                            shape_str(x.shape()), in_features, shape_str(weight.shape())));
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != out_features))
    throw std::invalid_argument(fmt::format("linear: bias must be ({},) for weight {}, got {}", out_features,
                                            shape_str(weight.shape()), shape_str(bias.shape())));
}
}  // namespace

// y = x Wᵀ + b, the transpose passed to BLAS as a flag.
// dx = g W    dW = gᵀ x (over all leading dims)    db = Σ_rows g
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Where caller) {
  const CallSite call_site(caller);
  check_linear(x, weight, bias);
  const std::size_t out_features = weight.shape()[0], in_features = weight.shape()[1];
  Shape shape = x.shape();
  shape.back() = out_features;
  Array y = Array::from_shape(shape);  // (..., out)
  const std::size_t rows = in_features == 0 ? x.numel() : x.numel() / in_features;
  if (bias.defined())  // y starts as the bias in every row; the product adds onto it (beta = 1)
    parallel_for(rows, parallel_parts(rows, 16.0 * static_cast<double>(y.size())),
                 [&](std::size_t, std::size_t from, std::size_t to) {
                   for (std::size_t r = from; r < to; ++r)
                     std::copy_n(bias.value().data(), out_features, y.data() + r * out_features);
                 });
  if (in_features == 0 && !bias.defined()) std::fill(y.begin(), y.end(), 0.0f);
  if (in_features > 0)
    blas::sgemm(false, true, rows, out_features, in_features, 1.0f, x.value().data(), in_features,
                weight.value().data(), in_features, bias.defined() ? 1.0f : 0.0f, y.data(), out_features);
  std::vector<Tensor> inputs{x, weight};
  if (bias.defined()) inputs.push_back(bias);
  return make_result("linear", std::move(y), std::move(inputs), [rows](const Array& g, const Array&, const Inputs& in) {
    const Array& xv = in[0].value();
    const Array& wv = in[1].value();
    const std::size_t n_out = wv.shape()[0], n_in = wv.shape()[1];
    // The products (beta = 0) overwrite dx and dw, which need zeros only where none runs.
    const bool product = rows > 0 && n_in > 0;
    const auto output_of = [product](const Shape& of) {
      return product ? Array::from_shape(of) : Array(xt::zeros<float>(of));
    };
    const bool need_dx = in[0].requires_grad(), need_dw = in[1].requires_grad();
    const bool need_db = in.size() == 3 && in[2].requires_grad();
    // An input that already has a gradient (a weight used at every step of an RNN) takes its
    // share straight from the product (beta = 1), not made apart and added in a second pass.
    // Not when two inputs are one tensor: their parts would add into the same array at once.
    const bool distinct = in[0].node() != in[1].node() &&
                          (in.size() < 3 || (in[2].node() != in[0].node() && in[2].node() != in[1].node()));
    const auto into = [distinct](bool needed, const Tensor& t) {
      return needed && distinct ? grad_to_add_into(t) : nullptr;
    };
    Array* const dx_into = into(need_dx, in[0]);
    Array* const dw_into = into(need_dw, in[1]);
    Array* const db_into = need_db ? into(true, in[2]) : nullptr;
    Array dx = need_dx && !dx_into ? output_of(xv.shape()) : Array();
    Array dw = need_dw && !dw_into ? output_of(wv.shape()) : Array();
    Array db = need_db && !db_into ? Array(xt::zeros<float>({n_out})) : Array();
    float* const dx_data = dx_into ? dx_into->data() : dx.data();
    float* const dw_data = dw_into ? dw_into->data() : dw.data();
    float* const db_data = db_into ? db_into->data() : db.data();
    // Part p of `parts` computes its share of dx's rows, of dW's rows and of db's columns, so the
    // pool is handed the backward once rather than once for each product (the products inside a
    // part run single-threaded). One part below the size where sgemm itself would split.
    const std::size_t macs = rows * n_in * n_out * (std::size_t{need_dx} + std::size_t{need_dw});
    const std::size_t parts = product && macs >= blas::split_from ? blas::threads_here() : 1;
    parallel_for(parts, parts, [&](std::size_t part, std::size_t, std::size_t) {  // one piece per part
      // [n·p/parts, n·(p+1)/parts) of each of the three ranges, as parallel_for cuts its own.
      const auto cut = [part, parts](std::size_t n) { return std::pair{n * part / parts, n * (part + 1) / parts}; };
      const auto [r0, r1] = cut(rows);   // rows of dx (and of x and g)
      const auto [o0, o1] = cut(n_out);  // rows of dW, entries of db
      if (need_dx && product)            // dx (+)= g W
        blas::sgemm(false, false, r1 - r0, n_in, n_out, 1.0f, g.data() + r0 * n_out, n_out, wv.data(), n_in,
                    dx_into ? 1.0f : 0.0f, dx_data + r0 * n_in, n_in);
      if (need_dw && product)  // dW (+)= gᵀ x
        blas::sgemm(true, false, o1 - o0, n_in, rows, 1.0f, g.data() + o0, n_out, xv.data(), n_in,
                    dw_into ? 1.0f : 0.0f, dw_data + o0 * n_in, n_in);
      if (need_db)  // db += Σ_rows g
        for (std::size_t r = 0; r < rows; ++r)
          for (std::size_t o = o0; o < o1; ++o) db_data[o] += g.data()[r * n_out + o];
    });
    if (need_dx && !dx_into) accumulate_grad(in[0], std::move(dx));
    if (need_dw && !dw_into) accumulate_grad(in[1], std::move(dw));
    if (need_db && !db_into) accumulate_grad(in[2], std::move(db));
  });
}

Tensor matmul(const Tensor& a, const Tensor& b, Where caller) {
  const CallSite call_site(caller);
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  if (sa.empty() || sb.empty())
    throw std::invalid_argument(
        fmt::format("matmul: both operands need at least 1 dim, got {} and {}", shape_str(sa), shape_str(sb)));
  const std::size_t ka = sa.back(), kb = sb.size() == 1 ? sb[0] : sb[sb.size() - 2];
  if (ka != kb) throw std::invalid_argument(inner_mismatch(sa, sb, ka, kb));
  if (sa.size() == 1 && sb.size() == 1) return reshape(matmul_nd(unsqueeze(a, 0), unsqueeze(b, 1)), {});
  if (sa.size() == 1) return squeeze(matmul_nd(unsqueeze(a, 0), b), -2);
  if (sb.size() == 1) return squeeze(matmul_nd(a, unsqueeze(b, 1)), -1);
  return matmul_nd(a, b);
}

}  // namespace attograd
