// LocationAttention: a new layer written outside attograd, the way docs/extending.md teaches.
// Chorowski, Bahdanau, Serdyuk, Cho & Bengio (2015), "Attention-Based Models for Speech
// Recognition", §2.2: Bahdanau's additive attention, whose score also sees WHERE the previous
// decoder step looked, through a 1-D convolution of the previous step's weights α_{i-1}:
//
//   f_i     = F * α_{i-1}                                 k filters of width r      (B, k, S)
//   e_{i,j} = wᵀ tanh(W s_{i-1} + V h_j + U f_{i,j} + b)                            (B, S)
//   α_i     = softmax_j(e_i)     (or, with Focus::Smooth, σ(e)/Σσ(e): smooth_focus.hpp)
//   c_i     = Σ_j α_{i,j} h_j                                                       (B, Dv)
//
// With the location term a model can learn "move one position on from where I was", which pure
// content-based attention can only infer from the query. Parameters (paper symbol in brackets):
//   query_weight (A, Dq) [W]   key_weight (A, Dk) [V]   bias (A) [b]   v (A) [w]
//   location_filters (k, 1, r) [F]   location_weight (A, k) [U]
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <attograd/attograd.hpp>

namespace extending {

using attograd::Tensor;
namespace nn = attograd::nn;

// How the scores become weights: softmax, or smooth focus (smooth_focus.hpp).
enum class LocationFocus { Softmax, Smooth };

// LocationAttentionOptions{.query_dim = 32, .key_dim = 64, .filters = 4, .width = 3}
struct LocationAttentionOptions {
  std::size_t query_dim = 0;      // Dq, positive
  std::size_t key_dim = 0;        // Dk, positive
  std::size_t attention_dim = 0;  // A, the tanh layer's width; 0 means query_dim
  std::size_t filters = 8;        // k, positive
  std::size_t width = 5;          // r, odd, so the convolution keeps the S positions (padding (r-1)/2)
  LocationFocus focus = LocationFocus::Softmax;
};

class LocationAttention : public nn::Module {
 public:
  using Focus = LocationFocus;

  explicit LocationAttention(const LocationAttentionOptions& options);
  LocationAttention(std::size_t query_dim, std::size_t key_dim, std::size_t attention_dim = 0, std::size_t filters = 8,
                    std::size_t width = 5, Focus focus = Focus::Softmax);

  // Every parameter U(-1/√fan_in, 1/√fan_in), in registration order: the same initialisation as
  // nn::AdditiveAttention, and PyTorch's Conv1d for F.
  void reset_parameters() override;

  // One decoder step. query (B, Dq) = s_{i-1}; keys (B, S, Dk); values (B, S, Dv); previous
  // (B, S) = α_{i-1}. Returns context (B, Dv) and weights α_i (B, S); pass the weights back in
  // as `previous` at the next step. The mask is resolved against the (B, S) weights.
  nn::functional::AttentionOutput forward(const Tensor& query, const Tensor& keys, const Tensor& values,
                                          const Tensor& previous, const nn::AttentionMask& mask = {}) const;
  nn::functional::AttentionOutput operator()(const Tensor& query, const Tensor& keys, const Tensor& values,
                                             const Tensor& previous, const nn::AttentionMask& mask = {}) const {
    return forward(query, keys, values, previous, mask);
  }

  // The keys' part of the score, V h_j + b (B, S, A): the same at every step, so a decoder
  // projects them once and calls forward_projected.
  Tensor project_keys(const Tensor& keys) const;
  nn::functional::AttentionOutput forward_projected(const Tensor& query, const Tensor& projected_keys,
                                                    const Tensor& values, const Tensor& previous,
                                                    const nn::AttentionMask& mask = {}) const;

  // α_0 before the first step: uniform over each sequence's first lengths[b] positions (B, S).
  static Tensor initial_weights(const std::vector<std::int64_t>& lengths, std::size_t S);

  std::string describe() const override;
  const LocationAttentionOptions& options() const { return options_; }

  Tensor query_weight, key_weight, bias, v, location_filters, location_weight;

 private:
  LocationAttentionOptions options_;
  std::size_t query_dim_, key_dim_, attention_dim_, filters_, width_;  // attention_dim_ resolved (never 0)
  Focus focus_;
};

}  // namespace extending
