// PositionalEncoding: the fixed sinusoids of Vaswani et al. (2017), added to token embeddings
// so attention, which is blind to order, can tell positions apart.
//
//   pe[pos, 2i]     = sin(pos / 10000^(2i / d_model))
//   pe[pos, 2i + 1] = cos(pos / 10000^(2i / d_model))
//   forward(x) = dropout(x + pe[start : start + T])
//
// pe (max_len, d_model) is a buffer: saved in the state dict, never trained. Inputs are
// batch-first (B, T, E). `start` offsets the positions, for incremental decoding.
#pragma once

#include <cstddef>
#include <string>

#include <attograd/nn/module.hpp>

namespace attograd::nn {

// nn::PositionalEncodingOptions{.d_model = 64, .max_len = 128, .dropout = 0.0f}
struct PositionalEncodingOptions {
  std::size_t d_model = 0;     // E, positive
  std::size_t max_len = 5000;  // positions in the table, positive
  float dropout = 0.1f;        // in [0, 1]
};

// No parameters (pe is a fixed buffer), so nothing to reset.
class PositionalEncoding : public Module {
 public:
  explicit PositionalEncoding(const PositionalEncodingOptions& options);
  PositionalEncoding(std::size_t d_model, std::size_t max_len = 5000, float dropout = 0.1f);

  // x (B, T, E) -> (B, T, E); throws if start + T > max_len.
  Tensor forward(const Tensor& x, std::size_t start = 0) const;
  Tensor operator()(const Tensor& x, std::size_t start = 0) const { return forward(x, start); }

  std::string describe() const override;
  const PositionalEncodingOptions& options() const { return options_; }

  Tensor pe;  // (max_len, d_model)

 private:
  PositionalEncodingOptions options_;
};

}  // namespace attograd::nn
