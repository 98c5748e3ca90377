// Embedding: the core embedding op over a registered table, with PyTorch's padding_idx rules.
#include <attograd/nn/embedding.hpp>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/indexing.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

Embedding::Embedding(std::size_t num_embeddings, std::size_t embedding_dim, std::optional<std::int64_t> padding_idx)
    : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {
  const auto n = static_cast<std::int64_t>(num_embeddings);
  if (padding_idx) {
    if (*padding_idx < -n || *padding_idx >= n)
      throw std::invalid_argument(
          fmt::format("Embedding: padding_idx {} is out of range for {} embeddings (valid: {} to {})", *padding_idx,
                      num_embeddings, -n, n - 1));
    padding_idx_ = *padding_idx < 0 ? *padding_idx + n : *padding_idx;
  }
  weight = register_parameter("weight", zeros({num_embeddings, embedding_dim}));
  init::normal_(weight);
  if (padding_idx_) {
    float* row = weight.mutable_value().data() + static_cast<std::size_t>(*padding_idx_) * embedding_dim;
    std::fill(row, row + embedding_dim, 0.0f);
  }
}

// y[..., e] = W[ids[...], e]     (...) -> (..., E)
Tensor Embedding::forward(const Index& ids) const { return embedding(weight, ids, padding_idx_); }

std::string Embedding::describe() const {
  if (padding_idx_)
    return fmt::format("Embedding({}, {}, padding_idx={})", num_embeddings_, embedding_dim_, *padding_idx_);
  return fmt::format("Embedding({}, {})", num_embeddings_, embedding_dim_);
}

}  // namespace attograd::nn
