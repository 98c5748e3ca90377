// smooth_focus: a new differentiable op written outside attograd, the way docs/extending.md
// teaches. Chorowski et al. (2015), "Attention-Based Models for Speech Recognition", §2.3:
// "smoothing" normalises attention scores with the logistic sigmoid instead of exp, so the
// weights can stay spread over several positions instead of collapsing onto one:
//
//   s_j = σ(x_j)      Z = Σ_j s_j      y_j = s_j / Z                     (along the last dim)
//
// Its composite twin, from core ops, is  sigmoid(x) / sum(sigmoid(x), -1, keepdim=true);
// tests/examples/test_extending.cpp checks that the two agree, that the backward passes
// gradcheck, and that both match PyTorch on committed fixtures.
#pragma once

#include <attograd/attograd.hpp>

namespace extending {

// x (…, S) -> weights (…, S): every row sums to 1, or is all 0 when each of its scores is -inf
// (every key blocked). Throws std::invalid_argument for a 0-dim x.
attograd::Tensor smooth_focus(const attograd::Tensor& x, attograd::Where caller = attograd::Where::current());

}  // namespace extending
