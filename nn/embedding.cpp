// Embedding: the core embedding op over a registered table, with PyTorch's padding_idx rules.
#include <attograd/nn/embedding.hpp>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/indexing.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

Embedding::Embedding(const EmbeddingOptions& options) : options_(options) {
  const auto n = static_cast<std::int64_t>(options.num_embeddings);
  if (const auto idx = options.padding_idx) {
    if (*idx < -n || *idx >= n)
      throw std::invalid_argument(
          fmt::format("Embedding: padding_idx {} is out of range for {} embeddings (valid: {} to {})", *idx,
                      options.num_embeddings, -n, n - 1));
    padding_idx_ = *idx < 0 ? *idx + n : *idx;
  }
  weight = register_parameter("weight", zeros({options.num_embeddings, options.embedding_dim}));
  reset_parameters();
}

Embedding::Embedding(std::size_t num_embeddings, std::size_t embedding_dim, std::optional<std::int64_t> padding_idx)
    : Embedding(EmbeddingOptions{
          .num_embeddings = num_embeddings, .embedding_dim = embedding_dim, .padding_idx = padding_idx}) {}

void Embedding::reset_parameters() {
  init::normal_(weight);
  if (!padding_idx_) return;
  const std::size_t E = options_.embedding_dim;
  float* row = weight.mutable_value().data() + static_cast<std::size_t>(*padding_idx_) * E;
  std::fill(row, row + E, 0.0f);
}

// y[..., e] = W[ids[...], e]     (...) -> (..., E)
Tensor Embedding::forward(const Index& ids) const { return embedding(weight, ids, padding_idx_); }

std::string Embedding::describe() const {
  if (padding_idx_)
    return fmt::format("Embedding({}, {}, padding_idx={})", options_.num_embeddings, options_.embedding_dim,
                       *padding_idx_);
  return fmt::format("Embedding({}, {})", options_.num_embeddings, options_.embedding_dim);
}

}  // namespace attograd::nn
