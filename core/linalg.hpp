// Matrix products through BLAS.
#pragma once

#include <attograd/core/tensor.hpp>

namespace attograd {

// torch.matmul: 1-D·1-D is a dot product; 2-D·2-D a matrix product; 1-D operands are treated
// as a row (left) or column (right) vector and that dim is removed afterwards; with 3+ dims the
// leading (batch) dims broadcast, e.g. (B, 1, T, D) @ (H, D, S) -> (B, H, T, S).
Tensor matmul(const Tensor& a, const Tensor& b);

// Batched product of plain arrays with transposes as flags (nothing is copied for them):
// op(a) (..., M, K) @ op(b) (..., K, N) -> (broadcast batch..., M, N). Both at least 2-D.
Array matmul_arrays(const Array& a, bool transpose_a, const Array& b, bool transpose_b);

}  // namespace attograd
