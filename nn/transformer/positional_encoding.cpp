// Sinusoidal positional encoding: the table is computed once (in double), then sliced and added.
#include <attograd/nn/transformer/positional_encoding.hpp>

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/functional.hpp>
#include <attograd/core/ops/shape_ops.hpp>

namespace attograd::nn {

PositionalEncoding::PositionalEncoding(const PositionalEncodingOptions& options) : options_(options) {
  const std::size_t d_model = options.d_model, max_len = options.max_len;
  const float dropout = options.dropout;
  if (d_model == 0 || max_len == 0)
    throw std::invalid_argument(
        fmt::format("PositionalEncoding: d_model and max_len must be positive, got {} and {}", d_model, max_len));
  if (!(dropout >= 0.0f && dropout <= 1.0f))
    throw std::invalid_argument(fmt::format("PositionalEncoding: dropout must be in [0, 1], got {}", dropout));
  Array table = Array::from_shape({max_len, d_model});  // (max_len, E)
  for (std::size_t pos = 0; pos < max_len; ++pos)
    for (std::size_t e = 0; e < d_model; ++e) {
      const std::size_t two_i = e - e % 2;  // the even index of the sin/cos pair
      const double angle =
          static_cast<double>(pos) / std::pow(10000.0, static_cast<double>(two_i) / static_cast<double>(d_model));
      table(pos, e) = static_cast<float>(e % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  pe = register_buffer("pe", Tensor(std::move(table)));
}

PositionalEncoding::PositionalEncoding(std::size_t d_model, std::size_t max_len, float dropout)
    : PositionalEncoding(PositionalEncodingOptions{.d_model = d_model, .max_len = max_len, .dropout = dropout}) {}

std::string PositionalEncoding::describe() const {
  return fmt::format("PositionalEncoding(d_model={}, max_len={}, dropout={})", options_.d_model, options_.max_len,
                     options_.dropout);
}

Tensor PositionalEncoding::forward(const Tensor& x, std::size_t start) const {
  if (x.dim() != 3 || x.shape()[2] != options_.d_model)
    throw std::invalid_argument(fmt::format("PositionalEncoding: expected x of shape (B, T, E = {}), got {}",
                                            options_.d_model, shape_str(x.shape())));
  const std::size_t T = x.shape()[1];
  if (start + T > options_.max_len)
    throw std::invalid_argument(
        fmt::format("PositionalEncoding: positions {} to {} of x {} go past max_len = {}; "
                    "build the encoding with a larger max_len",
                    start, start + T - 1, shape_str(x.shape()), options_.max_len));
  const Tensor positions =
      slice(pe, 0, static_cast<std::int64_t>(start), static_cast<std::int64_t>(start + T));  // (T, E)
  return dropout(x + positions, options_.dropout, is_training());                            // (B, T, E)
}

}  // namespace attograd::nn
