// Location-aware attention from core ops (conv1d, linear, the additive score, a masked
// normalisation, matmul), the same way nn/attention/additive_attention.cpp builds Bahdanau's.
// Its backward is the engine's: every op here already has one.
#include "location_attention.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "smooth_focus.hpp"

namespace extending {

using namespace attograd;

LocationAttention::LocationAttention(const LocationAttentionOptions& options)
    : options_(options),
      query_dim_(options.query_dim),
      key_dim_(options.key_dim),
      attention_dim_(options.attention_dim == 0 ? options.query_dim : options.attention_dim),
      filters_(options.filters),
      width_(options.width),
      focus_(options.focus) {
  if (query_dim_ == 0 || key_dim_ == 0 || filters_ == 0)
    throw std::invalid_argument(
        fmt::format("LocationAttention: query_dim, key_dim and filters must be positive, got {}, {} and {}", query_dim_,
                    key_dim_, filters_));
  if (width_ % 2 == 0)
    throw std::invalid_argument(fmt::format(
        "LocationAttention: the filter width must be odd (so the convolution keeps every position), got {}", width_));
  const std::size_t A = attention_dim_;
  query_weight = register_parameter("query_weight", zeros({A, query_dim_}));                // (A, Dq)
  key_weight = register_parameter("key_weight", zeros({A, key_dim_}));                      // (A, Dk)
  bias = register_parameter("bias", zeros({A}));                                            // (A)
  v = register_parameter("v", zeros({A}));                                                  // (A)
  location_filters = register_parameter("location_filters", zeros({filters_, 1, width_}));  // (k, 1, r)
  location_weight = register_parameter("location_weight", zeros({A, filters_}));            // (A, k)

  reset_parameters();  // draws them all
}

LocationAttention::LocationAttention(std::size_t query_dim, std::size_t key_dim, std::size_t attention_dim,
                                     std::size_t filters, std::size_t width, Focus focus)
    : LocationAttention(LocationAttentionOptions{.query_dim = query_dim,
                                                 .key_dim = key_dim,
                                                 .attention_dim = attention_dim,
                                                 .filters = filters,
                                                 .width = width,
                                                 .focus = focus}) {}

void LocationAttention::reset_parameters() {
  // The same initialisation as nn::AdditiveAttention, and PyTorch's Conv1d for F.
  nn::init::uniform_fan_in_(query_weight, query_dim_);
  nn::init::uniform_fan_in_(key_weight, key_dim_);
  nn::init::uniform_fan_in_(bias, key_dim_);
  nn::init::uniform_fan_in_(v, attention_dim_);
  nn::init::uniform_fan_in_(location_filters, width_);
  nn::init::uniform_fan_in_(location_weight, filters_);
}

std::string LocationAttention::describe() const {
  return fmt::format("LocationAttention(query_dim={}, key_dim={}, attention_dim={}, filters={}, width={}, focus={})",
                     query_dim_, key_dim_, attention_dim_, filters_, width_,
                     focus_ == Focus::Softmax ? "softmax" : "smooth");
}

Tensor LocationAttention::initial_weights(const std::vector<std::int64_t>& lengths, std::size_t S) {
  Array alpha = xt::zeros<float>({lengths.size(), S});
  for (std::size_t b = 0; b < lengths.size(); ++b) {
    if (lengths[b] <= 0 || static_cast<std::size_t>(lengths[b]) > S)
      throw std::invalid_argument(
          fmt::format("LocationAttention::initial_weights: lengths[{}] = {} is not in 1..S = {}", b, lengths[b], S));
    for (std::int64_t j = 0; j < lengths[b]; ++j) alpha(b, j) = 1.0f / static_cast<float>(lengths[b]);
  }
  return Tensor(alpha);
}

Tensor LocationAttention::project_keys(const Tensor& keys) const {
  if (keys.dim() != 3 || keys.shape()[2] != key_dim_)
    throw std::invalid_argument(
        fmt::format("LocationAttention: expected keys (B, S, {}), got {}", key_dim_, shape_str(keys.shape())));
  return linear(keys, key_weight, bias);  // V h_j + b: (B, S, A)
}

nn::functional::AttentionOutput LocationAttention::forward(const Tensor& query, const Tensor& keys,
                                                           const Tensor& values, const Tensor& previous,
                                                           const nn::AttentionMask& mask) const {
  return forward_projected(query, project_keys(keys), values, previous, mask);
}

nn::functional::AttentionOutput LocationAttention::forward_projected(const Tensor& query, const Tensor& projected_keys,
                                                                     const Tensor& values, const Tensor& previous,
                                                                     const nn::AttentionMask& mask) const {
  if (query.dim() != 2 || query.shape()[1] != query_dim_ || projected_keys.dim() != 3 ||
      projected_keys.shape()[2] != attention_dim_ || values.dim() != 3 || previous.dim() != 2)
    throw std::invalid_argument(fmt::format(
        "LocationAttention: expected query (B, {}), projected keys (B, S, {}), values (B, S, Dv) and previous "
        "weights (B, S); got {}, {}, {} and {}",
        query_dim_, attention_dim_, shape_str(query.shape()), shape_str(projected_keys.shape()),
        shape_str(values.shape()), shape_str(previous.shape())));
  const std::size_t B = query.shape()[0], S = projected_keys.shape()[1];
  if (projected_keys.shape()[0] != B || values.shape()[0] != B || values.shape()[1] != S || previous.shape()[0] != B ||
      previous.shape()[1] != S)
    throw std::invalid_argument(fmt::format(
        "LocationAttention: query {}, projected keys {}, values {} and previous weights {} disagree on B or S",
        shape_str(query.shape()), shape_str(projected_keys.shape()), shape_str(values.shape()),
        shape_str(previous.shape())));

  // f = F * α_{i-1}: (B, 1, S) conv (k, 1, r) -> (B, k, S), then U f -> (B, S, A).
  const auto pad = static_cast<std::int64_t>(width_ / 2);
  const Tensor f = conv1d(unsqueeze(previous, 1), location_filters, {}, 1, pad);  // (B, k, S)
  const Tensor location = linear(transpose(f, 1, 2), location_weight);            // (B, S, A)

  // e = wᵀ tanh(W s + (V h + b) + U f): the additive score of nn::AdditiveAttention, one query.
  const Tensor q = unsqueeze(linear(query, query_weight), 1);                                          // (B, 1, A)
  const Tensor scores = squeeze(nn::functional::additive_scores(q, projected_keys + location, v), 1);  // (B, S)

  Tensor weights;  // α_i (B, S)
  if (focus_ == Focus::Softmax) {
    weights = nn::functional::masked_softmax(scores, mask, "LocationAttention");
  } else {
    Tensor biased = scores;
    for (const Tensor& b : mask.additive_biases(scores.shape(), "LocationAttention")) biased = biased + b;
    const Mask blocked = mask.blocked_positions(scores.shape(), "LocationAttention");
    weights = smooth_focus(masked_fill(biased, blocked, -std::numeric_limits<float>::infinity()));  // σ(-inf) = 0
  }
  const Tensor context = squeeze(matmul(unsqueeze(weights, 1), values), 1);  // (B, 1, S)(B, S, Dv) -> (B, Dv)
  return {context, weights};
}

}  // namespace extending
