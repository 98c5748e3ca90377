// Reductions over chosen dims (an empty Dims list means all of them), with keepdim as PyTorch.
#pragma once

#include <attograd/core/autograd.hpp>
#include <attograd/core/tensor.hpp>

namespace attograd {

Tensor sum(const Tensor& x, const Dims& dims = {}, bool keepdim = false, Where caller = Where::current());
Tensor mean(const Tensor& x, const Dims& dims = {}, bool keepdim = false, Where caller = Where::current());
// The largest value; its gradient goes to the first position holding it (row-major order).
// NaN counts as the largest, so NaNs propagate as in PyTorch.
Tensor max(const Tensor& x, const Dims& dims = {}, bool keepdim = false, Where caller = Where::current());
Tensor min(const Tensor& x, const Dims& dims = {}, bool keepdim = false, Where caller = Where::current());
// Variance with Bessel's correction by default (correction = 1), as torch.var.
Tensor var(const Tensor& x, const Dims& dims = {}, int correction = 1, bool keepdim = false,
           Where caller = Where::current());

// Index of the largest value along `dim` (first one on ties); no gradient.
Index argmax(const Tensor& x, int dim, bool keepdim = false);
Index argmax(const Tensor& x);  // into the flattened tensor, 0-d

}  // namespace attograd
