// nn::Embedding: a (num_embeddings, embedding_dim) table looked up by token id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <attograd/nn/module.hpp>

namespace attograd::nn {

// nn::EmbeddingOptions{.num_embeddings = 100, .embedding_dim = 16, .padding_idx = 0}
struct EmbeddingOptions {
  std::size_t num_embeddings = 0;
  std::size_t embedding_dim = 0;
  // The row that embeds padding (negative counts from the end): it starts at zero and never
  // receives a gradient, so padding tokens embed to zeros and stay there.
  std::optional<std::int64_t> padding_idx = std::nullopt;
};

class Embedding : public Module {
 public:
  explicit Embedding(const EmbeddingOptions& options);
  Embedding(std::size_t num_embeddings, std::size_t embedding_dim,
            std::optional<std::int64_t> padding_idx = std::nullopt);

  // weight ~ N(0, 1), as PyTorch, with the padding_idx row zeroed.
  void reset_parameters() override;

  // ids (...) -> (..., embedding_dim); an id outside [0, num_embeddings) throws.
  Tensor forward(const Index& ids) const;
  Tensor operator()(const Index& ids) const { return forward(ids); }
  std::string describe() const override;

  // padding_idx normalised to [0, num_embeddings); options() keeps it as given.
  std::optional<std::int64_t> padding_idx() const { return padding_idx_; }
  const EmbeddingOptions& options() const { return options_; }

  Tensor weight;  // (num_embeddings, embedding_dim)

 private:
  EmbeddingOptions options_;
  std::optional<std::int64_t> padding_idx_;  // normalised to [0, num_embeddings)
};

}  // namespace attograd::nn
