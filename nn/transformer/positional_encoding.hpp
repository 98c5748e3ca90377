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

class PositionalEncoding : public Module {
 public:
  PositionalEncoding(std::size_t d_model, std::size_t max_len = 5000, float dropout = 0.1f);

  // x (B, T, E) -> (B, T, E); throws if start + T > max_len.
  Tensor forward(const Tensor& x, std::size_t start = 0) const;
  Tensor operator()(const Tensor& x, std::size_t start = 0) const { return forward(x, start); }

  std::string describe() const override;

  Tensor pe;  // (max_len, d_model)

 private:
  std::size_t d_model_, max_len_;
  float dropout_;
};

}  // namespace attograd::nn
