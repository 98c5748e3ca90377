// Single-head self-attention: three Linear projections and scaled_dot_product_attention.
#include <attograd/nn/attention/self_attention.hpp>

#include <stdexcept>

#include <fmt/format.h>

namespace attograd::nn {

SelfAttention::SelfAttention(const SelfAttentionOptions& options)
    : options_(options),
      embed_dim_(options.embed_dim),
      head_dim_(options.head_dim == 0 ? options.embed_dim : options.head_dim) {
  if (embed_dim_ == 0) throw std::invalid_argument("SelfAttention: embed_dim must be positive");
  if (!(options.dropout >= 0.0f && options.dropout <= 1.0f))
    throw std::invalid_argument(fmt::format("SelfAttention: dropout must be in [0, 1], got {}", options.dropout));
  // Each Linear draws its parameters as it is built, so construction needs no reset here.
  const LinearOptions projection{.in_features = embed_dim_, .out_features = head_dim_, .bias = options.bias};
  query = register_module("query", std::make_shared<Linear>(projection));
  key = register_module("key", std::make_shared<Linear>(projection));
  value = register_module("value", std::make_shared<Linear>(projection));
}

SelfAttention::SelfAttention(std::size_t embed_dim, std::size_t head_dim, bool causal, bool bias, float dropout)
    : SelfAttention(SelfAttentionOptions{
          .embed_dim = embed_dim, .head_dim = head_dim, .causal = causal, .bias = bias, .dropout = dropout}) {}

void SelfAttention::reset_parameters() {
  query->reset_parameters();
  key->reset_parameters();
  value->reset_parameters();
}

std::string SelfAttention::describe() const {
  return fmt::format("SelfAttention(embed_dim={}, head_dim={}, causal={})", embed_dim_, head_dim_, options_.causal);
}

functional::AttentionOutput SelfAttention::forward(const Tensor& x, const AttentionMask& mask) const {
  if (x.dim() != 3 || x.shape()[2] != embed_dim_)
    throw std::invalid_argument(
        fmt::format("SelfAttention: expected x of shape (B, T, E = {}), got {}", embed_dim_, shape_str(x.shape())));
  const std::size_t T = x.shape()[1];
  const Tensor q = query->forward(x);  // (B, T, D)
  const Tensor k = key->forward(x);    // (B, T, D)
  const Tensor v = value->forward(x);  // (B, T, D)
  const AttentionMask full_mask = options_.causal ? AttentionMask::causal(T, T, CausalAlignment::TopLeft) & mask : mask;
  return functional::scaled_dot_product_attention(q, k, v, full_mask, options_.dropout, std::nullopt, is_training(),
                                                  nullptr,
                                                  "SelfAttention");  // (B, T, D), (B, T, T)
}

}  // namespace attograd::nn
