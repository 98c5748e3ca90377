// matmul and its batched BLAS driver.
#include <attograd/core/linalg.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/blas.hpp>
#include <attograd/core/kernels.hpp>
#include <attograd/core/shape_ops.hpp>

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
  std::size_t i = 0;
  for_each_offset<2>(batch, {a_strides, b_strides}, {0, 0}, [&](const std::array<std::size_t, 2>& at) {
    blas::sgemm(transpose_a, transpose_b, m, n, k, 1.0f, a.data() + at[0], ca, b.data() + at[1], cb, 0.0f,
                out.data() + (i++) * m * n, n);
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
                         const std::size_t k = bv.shape()[0], n = bv.shape()[1],
                                           rows = av.size() / std::max<std::size_t>(k, 1);
                         Array db = xt::zeros<float>(bv.shape());
                         if (av.dimension() == g.dimension() && rows > 0)
                           blas::sgemm(true, false, k, n, rows, 1.0f, av.data(), k, g.data(), n, 0.0f, db.data(), n);
                         else
                           db = sum_to(matmul_arrays(av, true, g, false), bv.shape());
                         accumulate_grad(in[1], std::move(db));
                         return;
                       }
                       accumulate_grad(in[1], sum_to(matmul_arrays(av, true, g, false), bv.shape()));
                     });
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
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
