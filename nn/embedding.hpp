// nn::Embedding: a (num_embeddings, embedding_dim) table looked up by token id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <attograd/nn/module.hpp>

namespace attograd::nn {

class Embedding : public Module {
 public:
  // weight ~ N(0, 1), as PyTorch. The row at padding_idx (negative counts from the end) starts
  // at zero and never receives a gradient, so padding tokens embed to zeros and stay there.
  Embedding(std::size_t num_embeddings, std::size_t embedding_dim,
            std::optional<std::int64_t> padding_idx = std::nullopt);

  // ids (...) -> (..., embedding_dim); an id outside [0, num_embeddings) throws.
  Tensor forward(const Index& ids) const;
  Tensor operator()(const Index& ids) const { return forward(ids); }
  std::string describe() const override;

  std::optional<std::int64_t> padding_idx() const { return padding_idx_; }

  Tensor weight;  // (num_embeddings, embedding_dim)

 private:
  std::size_t num_embeddings_, embedding_dim_;
  std::optional<std::int64_t> padding_idx_;  // normalised to [0, num_embeddings)
};

}  // namespace attograd::nn
