// Matrix products through BLAS.
#pragma once

#include <attograd/core/autograd.hpp>
#include <attograd/core/tensor.hpp>

namespace attograd {

// torch.matmul: 1-D·1-D is a dot product; 2-D·2-D a matrix product; 1-D operands are treated
// as a row (left) or column (right) vector and that dim is removed afterwards; with 3+ dims the
// leading (batch) dims broadcast, e.g. (B, 1, T, D) @ (H, D, S) -> (B, H, T, S).
Tensor matmul(const Tensor& a, const Tensor& b, Where caller = Where::current());

// op(a) @ op(b) where op transposes the last two dims when its flag is set, without copying:
// the flags go straight to BLAS. matmul_transposed(q, k, false, true) is q @ kᵀ (attention scores).
// Both operands need at least 2 dims; batch dims broadcast as in matmul.
Tensor matmul_transposed(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b,
                         Where caller = Where::current());

// y = x wᵀ + b, as torch.nn.functional.linear: x (..., in), weight (out, in), bias (out) or
// undefined -> (..., out). One BLAS call with the weight's transpose as a flag, the bias added
// in the same pass; the backward is two BLAS calls and a column sum.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, Where caller = Where::current());

// Batched product of plain arrays with transposes as flags (nothing is copied for them):
// op(a) (..., M, K) @ op(b) (..., K, N) -> (broadcast batch..., M, N). Both at least 2-D.
Array matmul_arrays(const Array& a, bool transpose_a, const Array& b, bool transpose_b);

}  // namespace attograd
