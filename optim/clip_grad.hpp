// Gradient clipping, applied between backward() and the optimizer's step():
// clip_grad_norm_ rescales all gradients together so their joint norm is at most max_norm;
// clip_grad_value_ clamps every gradient element into [-clip_value, clip_value].
// Both follow torch.nn.utils; parameters without a gradient are skipped.
#pragma once

#include <vector>

#include <attograd/core/tensor.hpp>

namespace attograd::optim {

// total = ‖(all gradient elements of all params)‖_p, p = norm_type (> 0, or infinity for the
// largest |g|). If total > max_norm every gradient is multiplied by max_norm / (total + 1e-6).
// Returns total (computed in double; 0 when no parameter has a gradient).
//
// A non-finite total (some gradient holds NaN or Inf): with error_if_nonfinite it throws
// std::runtime_error and leaves the gradients alone. Without, it does what PyTorch does: the
// factor max_norm / (total + 1e-6) is 0 for an infinite total (finite entries become 0,
// infinite ones NaN) and NaN for a NaN total (every entry becomes NaN), so the following step
// visibly breaks rather than silently continuing.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

// g ← clamp(g, −clip_value, clip_value) elementwise; NaN stays NaN. clip_value >= 0.
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace attograd::optim
