// sample and sample_rows: validate, then greedy, or top-k -> top-p -> one draw, in double.
#include <attograd/seq/sampling.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace attograd::seq {

namespace {

void check_options(const SamplingOptions& o, const char* op) {
  if (!(o.temperature >= 0.0f) || std::isinf(o.temperature))  // !(x >= 0) also catches NaN
    throw std::invalid_argument(
        fmt::format("{}: temperature must be a finite number >= 0, got {}; pass 0 for greedy decoding or a positive "
                    "value (1 samples the model's own distribution, below 1 sharpens it)",
                    op, o.temperature));
  if (!(o.top_p > 0.0f && o.top_p <= 1.0f))
    throw std::invalid_argument(
        fmt::format("{}: top_p must be in (0, 1], got {}; pass 1 to turn nucleus sampling off, or a mass such as 0.9",
                    op, o.top_p));
}

// One row of V logits; errors name `op` and, for sample_rows, the row.
std::int64_t sample_row(const float* logits, std::size_t V, const SamplingOptions& o, Generator& g, const char* op,
                        std::ptrdiff_t row = -1) {
  const auto where = [&] { return row < 0 ? std::string(op) : fmt::format("{}: row {}", op, row); };
  std::size_t finite = 0;
  for (std::size_t v = 0; v < V; ++v) {
    if (std::isnan(logits[v]) || logits[v] == INFINITY)
      throw std::invalid_argument(fmt::format(
          "{}: logits hold {} at id {}; pass finite logits (-inf blocks a token) - anomaly mode names the op that "
          "made it",
          where(), logits[v], v));
    if (logits[v] != -INFINITY) ++finite;
  }
  if (finite == 0)
    throw std::invalid_argument(fmt::format(
        "{}: every one of the {} logits is -inf, so no token can be chosen; leave at least one token unblocked",
        where(), V));

  // Ids by decreasing logit, ties to the lowest id: the order greedy, top-k and top-p agree on.
  const auto before = [logits](std::int64_t a, std::int64_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  if (o.temperature == 0.0f) {
    std::int64_t best = 0;
    for (std::int64_t v = 1; v < static_cast<std::int64_t>(V); ++v)
      if (before(v, best)) best = v;
    return best;
  }

  std::vector<std::int64_t> ids(V);
  std::iota(ids.begin(), ids.end(), 0);
  std::size_t keep = finite;  // -inf tokens sort last and are never kept
  if (o.top_k > 0) keep = std::min(keep, o.top_k);
  const bool truncated = keep < V || o.top_p < 1.0f;
  if (truncated)
    std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(keep), ids.end(), before);
  else
    keep = V;  // no sort needed: draw over every id in id order

  // w_i = exp((l_i - max) / T) ∝ softmax(logits / T)_i over the kept ids.
  const double max = *std::max_element(logits, logits + V);
  std::vector<double> w(keep);
  double total = 0.0;
  for (std::size_t i = 0; i < keep; ++i) total += w[i] = std::exp((logits[ids[i]] - max) / o.temperature);

  if (o.top_p < 1.0f) {
    // The nucleus: the shortest prefix of the sorted ids whose mass reaches p (HF's rule: a token
    // stays while the mass before it is below p).
    double mass = 0.0;
    std::size_t n = 0;
    while (n < keep && mass < o.top_p * total) mass += w[n++];  // w[0] = 1 (the max): n >= 1
    keep = n;
    total = mass;
  }

  const double u = static_cast<double>(g.next_u64() >> 11) * 0x1.0p-53 * total;  // uniform in [0, total)
  double cumulative = 0.0;
  std::size_t last = 0;
  for (std::size_t i = 0; i < keep; ++i) {
    if (w[i] == 0.0) continue;
    cumulative += w[i];
    last = i;
    if (u < cumulative) return ids[i];
  }
  return ids[last];  // u fell past the sum by rounding
}

}  // namespace

std::int64_t sample(const Tensor& logits, const SamplingOptions& options, Generator& g) {
  check_options(options, "sample");
  const Array& x = logits.value();
  if (x.dimension() != 1)
    throw std::invalid_argument(fmt::format(
        "sample: logits must be (V,), got shape {}; for (K, V) use sample_rows, for (B, T, V) take the last position",
        shape_str(x.shape())));
  if (x.size() == 0) throw std::invalid_argument("sample: logits are empty (shape (0,)); pass at least one logit");
  const Array row = x;  // contiguous, whatever layout the tensor had
  return sample_row(row.data(), row.size(), options, g, "sample");
}

Index sample_rows(const Tensor& logits, const SamplingOptions& options, Generator& g) {
  check_options(options, "sample_rows");
  const Array& x = logits.value();
  if (x.dimension() != 2)
    throw std::invalid_argument(fmt::format(
        "sample_rows: logits must be (K, V), got shape {}; for (V,) use sample, for (B, T, V) take the last position",
        shape_str(x.shape())));
  const std::size_t K = x.shape()[0], V = x.shape()[1];
  if (V == 0)
    throw std::invalid_argument(
        fmt::format("sample_rows: logits {} have no columns; pass at least one logit per row", shape_str(x.shape())));
  const Array rows = x;  // row-major and contiguous
  Index out = Index::from_shape({K});
  for (std::size_t k = 0; k < K; ++k)
    out(k) = sample_row(rows.data() + k * V, V, options, g, "sample_rows", static_cast<std::ptrdiff_t>(k));
  return out;
}

}  // namespace attograd::seq
