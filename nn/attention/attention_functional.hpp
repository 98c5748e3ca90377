// Attention as functions: the masked softmax every attention family shares, and scaled
// dot-product attention (Vaswani et al. 2017), softmax(q kᵀ · scale + bias) v.
//
// Fully masked rows. When a query may attend to no key at all (every key of its row blocked,
// e.g. a padded query whose keys are all padding), the softmax has nothing to normalise and
// PyTorch returns NaN outputs and NaN gradients. Here such a row gets weights 0, so its output
// is 0, and every gradient through it is a finite 0. How: blocked scores are replaced (by
// masked_fill) with the most negative finite float rather than -inf, so the softmax stays
// finite everywhere (exp of it is exactly 0 beside any real score); rows with no allowed key
// are then zeroed by a second masked_fill on the weights, whose backward sends 0 into them.
// Rows with at least one allowed key are exactly the usual softmax, as in PyTorch.
#pragma once

#include <optional>
#include <string>

#include <attograd/core/tensor.hpp>
#include <attograd/nn/attention/mask.hpp>

namespace attograd {
class Generator;
}

namespace attograd::nn::functional {

// Every attention returns both, so the weights can be plotted.
struct AttentionOutput {
  Tensor output;   // (…, T, Dv)
  Tensor weights;  // (…, T, S): each row sums to 1 over the allowed keys, or is all 0
};

// softmax over the keys (last dim) of scores (…, T, S), with `mask` resolved against them.
// `who` names the calling layer in shape errors.
Tensor masked_softmax(const Tensor& scores, const AttentionMask& mask, const std::string& who = "masked_softmax");

// q (…, T, D), k (…, S, D), v (…, S, Dv) -> output (…, T, Dv), weights (…, T, S); the leading
// dims broadcast as in matmul. scale defaults to 1/√D. While `training`, dropout with
// probability dropout_p is applied to the weights used for the output (drawn from `generator`,
// or the default one); the returned weights are those before dropout (PyTorch returns them
// after), so they always sum to 1 and can be drawn.
AttentionOutput scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const AttentionMask& mask = {}, float dropout_p = 0.0f,
                                             std::optional<float> scale = std::nullopt, bool training = true,
                                             Generator* generator = nullptr,
                                             const std::string& who = "scaled_dot_product_attention");

}  // namespace attograd::nn::functional
