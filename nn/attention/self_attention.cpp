// Single-head self-attention: three Linear projections and scaled_dot_product_attention.
#include <attograd/nn/attention/self_attention.hpp>

#include <stdexcept>

#include <fmt/format.h>

namespace attograd::nn {

SelfAttention::SelfAttention(std::size_t embed_dim, std::size_t head_dim, bool causal, bool bias, float dropout)
    : embed_dim_(embed_dim), head_dim_(head_dim == 0 ? embed_dim : head_dim), causal_(causal), dropout_(dropout) {
  if (embed_dim == 0) throw std::invalid_argument("SelfAttention: embed_dim must be positive");
  if (!(dropout >= 0.0f && dropout <= 1.0f))
    throw std::invalid_argument(fmt::format("SelfAttention: dropout must be in [0, 1], got {}", dropout));
  query = register_module("query", std::make_shared<Linear>(embed_dim, head_dim_, bias));
  key = register_module("key", std::make_shared<Linear>(embed_dim, head_dim_, bias));
  value = register_module("value", std::make_shared<Linear>(embed_dim, head_dim_, bias));
}

std::string SelfAttention::describe() const {
  return fmt::format("SelfAttention(embed_dim={}, head_dim={}, causal={})", embed_dim_, head_dim_, causal_);
}

functional::AttentionOutput SelfAttention::forward(const Tensor& x, const AttentionMask& mask) const {
  if (x.dim() != 3 || x.shape()[2] != embed_dim_)
    throw std::invalid_argument(
        fmt::format("SelfAttention: expected x of shape (B, T, E = {}), got {}", embed_dim_, shape_str(x.shape())));
  const std::size_t T = x.shape()[1];
  const Tensor q = query->forward(x);  // (B, T, D)
  const Tensor k = key->forward(x);    // (B, T, D)
  const Tensor v = value->forward(x);  // (B, T, D)
  const AttentionMask full_mask = causal_ ? AttentionMask::causal(T, T, CausalAlignment::TopLeft) & mask : mask;
  return functional::scaled_dot_product_attention(q, k, v, full_mask, dropout_, std::nullopt, is_training(), nullptr,
                                                  "SelfAttention");  // (B, T, D), (B, T, T)
}

}  // namespace attograd::nn
