// AttentionMask: building masks by name and resolving them against attention scores.
#include <attograd/nn/attention/mask.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/kernels/loops.hpp>

namespace attograd::nn {

namespace {

std::string scores_str(const Shape& scores) {
  const char* letters = scores.size() == 4 ? "(B, H, T, S)" : scores.size() == 3 ? "(B, T, S)" : "(…, T, S)";
  return fmt::format("the attention scores {} = {}", letters, shape_str(scores));
}

// A mask may have the scores' rank, or at most 2 dims (T, S), and then broadcasts like NumPy.
// Ranks in between are refused: a (B, T, S) mask against (B, H, T, S) scores would line its B
// up with H and, whenever B == H, silently mask the wrong rows.
void check_fits(const Shape& mask, const Shape& scores, const std::string& who, const std::string& what) {
  if (mask.size() > 2 && mask.size() != scores.size())
    throw std::invalid_argument(fmt::format(
        "{}: {} of shape {} is ambiguous against {}: give it all {} dims of the scores (size 1 where it does not vary, "
        "e.g. (B, 1, T, S)) or only the last two (T, S)",
        who, what, shape_str(mask), scores_str(scores), scores.size()));
  bool fits = mask.size() <= scores.size();
  for (std::size_t i = 1; fits && i <= mask.size(); ++i) {
    const std::size_t m = mask[mask.size() - i], s = scores[scores.size() - i];
    fits = m == s || m == 1;
  }
  if (!fits)
    throw std::invalid_argument(
        fmt::format("{}: {} of shape {} does not broadcast to {}", who, what, shape_str(mask), scores_str(scores)));
}

// `mask` broadcast to exactly `scores`, or an error naming both shapes.
Mask expand_to(const Mask& mask, const Shape& scores, const std::string& who, const std::string& what) {
  check_fits(mask.shape(), scores, who, what);
  Mask out = Mask::from_shape(scores);
  std::size_t i = 0;
  for_each_offset<1>(scores, {broadcast_strides(mask.shape(), scores)}, {0},
                     [&](const std::array<std::size_t, 1>& at) { out.data()[i++] = mask.data()[at[0]]; });
  return out;
}

Mask negate(const Mask& m) {
  Mask out = Mask::from_shape(m.shape());
  for (std::size_t i = 0; i < m.size(); ++i) out.data()[i] = !m.data()[i];
  return out;
}

}  // namespace

AttentionMask AttentionMask::allowed(Mask may_attend) {
  AttentionMask m;
  const std::string description = fmt::format("allowed{}", shape_str(may_attend.shape()));
  m.terms_.push_back({Kind::Blocked, negate(may_attend), {}, description});
  return m;
}

AttentionMask AttentionMask::blocked(Mask may_not_attend) {
  AttentionMask m;
  const std::string description = fmt::format("blocked{}", shape_str(may_not_attend.shape()));
  m.terms_.push_back({Kind::Blocked, std::move(may_not_attend), {}, description});
  return m;
}

// TopLeft: key j is blocked for query i when j > i.  BottomRight: when j > i + (S - T).
// Kept as the shift alone: the (T, S) positions are spelled out only where a layer needs them.
AttentionMask AttentionMask::causal(std::size_t T, std::size_t S, CausalAlignment alignment) {
  const std::int64_t shift =
      alignment == CausalAlignment::TopLeft ? 0 : static_cast<std::int64_t>(S) - static_cast<std::int64_t>(T);
  AttentionMask m;
  m.terms_.push_back(
      {Kind::Causal,
       {},
       {},
       fmt::format("causal(T={}, S={}, {})", T, S, alignment == CausalAlignment::TopLeft ? "TopLeft" : "BottomRight"),
       shift,
       T,
       S});
  return m;
}

AttentionMask AttentionMask::key_padding(const SequenceLengths& lengths, std::size_t S) {
  if (lengths.shape().size() != 1)
    throw std::invalid_argument(
        fmt::format("AttentionMask::key_padding: lengths must be 1-D (B,), got shape {}", shape_str(lengths.shape())));
  const std::size_t B = lengths.values().size();
  Mask padding = Mask::from_shape({B, S});  // (B, S)
  for (std::size_t b = 0; b < B; ++b) {
    const std::int64_t n = lengths.values()[b];
    if (n < 0 || n > static_cast<std::int64_t>(S))
      throw std::invalid_argument(
          fmt::format("AttentionMask::key_padding: length {} of sequence {} is outside [0, S = {}]", n, b, S));
    for (std::size_t j = 0; j < S; ++j) padding(b, j) = static_cast<std::int64_t>(j) >= n;
  }
  AttentionMask m;
  m.terms_.push_back({Kind::KeyPadding, std::move(padding), {}, fmt::format("key_padding(B={}, S={})", B, S)});
  return m;
}

AttentionMask AttentionMask::blocked_per_head(const Mask& may_not_attend, std::size_t num_heads) {
  const Shape& s = may_not_attend.shape();
  if (num_heads == 0 || s.size() != 3 || s[0] % num_heads != 0)
    throw std::invalid_argument(fmt::format(
        "AttentionMask::blocked_per_head: expected a (B·H, T, S) mask with H = num_heads = {}, got shape {}", num_heads,
        shape_str(s)));
  Mask per_head = may_not_attend;
  per_head.reshape({s[0] / num_heads, num_heads, s[1], s[2]});  // (B·H, T, S) -> (B, H, T, S): row b·H + h
  return blocked(std::move(per_head));
}

AttentionMask AttentionMask::padded_keys(Mask is_padding) {
  if (is_padding.dimension() != 2)
    throw std::invalid_argument(fmt::format("AttentionMask::padded_keys: the mask must be (B, S), got shape {}",
                                            shape_str(is_padding.shape())));
  AttentionMask m;
  const std::string description = fmt::format("padded_keys{}", shape_str(is_padding.shape()));
  m.terms_.push_back({Kind::KeyPadding, std::move(is_padding), {}, description});
  return m;
}

AttentionMask AttentionMask::additive(Tensor bias) {
  if (!bias.defined()) throw std::invalid_argument("AttentionMask::additive: the bias tensor is undefined");
  AttentionMask m;
  const std::string description = fmt::format("additive{}", shape_str(bias.shape()));
  m.terms_.push_back({Kind::Additive, {}, std::move(bias), description});
  return m;
}

AttentionMask combine(const AttentionMask& a, const AttentionMask& b) {
  AttentionMask out = a;
  out.terms_.insert(out.terms_.end(), b.terms_.begin(), b.terms_.end());
  return out;
}

std::string AttentionMask::describe() const {
  if (terms_.empty()) return "none";
  std::string out;
  for (const Term& t : terms_) out += (out.empty() ? "" : " & ") + t.description;
  return out;
}

void AttentionMask::check_causal(const Term& t, const Shape& scores, const std::string& who) {
  if (t.T != scores[scores.size() - 2] || t.S != scores.back())
    throw std::invalid_argument(
        fmt::format("{}: {} mask does not match {}: it was built for T = {} queries and S = {} keys", who,
                    t.description, scores_str(scores), t.T, t.S));
}

// B must equal the scores' first dim, as in PyTorch: a padding mask built for one batch never
// stretches over another.
void AttentionMask::check_key_padding(const Term& t, const Shape& scores, const std::string& who) {
  if (t.blocked.shape()[0] != scores[0] || t.blocked.shape()[1] != scores.back())
    throw std::invalid_argument(fmt::format("{}: {} mask (B = {}, S = {}) does not match {}", who, t.description,
                                            t.blocked.shape()[0], t.blocked.shape()[1], scores_str(scores)));
}

std::optional<AttentionMask::Compact> AttentionMask::compact(const Shape& scores, const std::string& who) const {
  Compact out;
  for (const Term& t : terms_) {
    if (t.kind == Kind::Causal) {
      check_causal(t, scores, who);
      out.causal_shift = std::min(out.causal_shift.value_or(t.shift), t.shift);
    } else if (t.kind == Kind::KeyPadding) {
      check_key_padding(t, scores, who);
      if (!out.padded_keys) {
        out.padded_keys = t.blocked;
      } else {
        for (std::size_t i = 0; i < t.blocked.size(); ++i)
          out.padded_keys->data()[i] = out.padded_keys->data()[i] || t.blocked.data()[i];
      }
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// Where one term blocks, as a mask of the scores' shape (…, T, S).
Mask AttentionMask::term_positions(const Term& t, const Shape& scores, const std::string& who) {
  const std::size_t T = scores[scores.size() - 2], S = scores.back();
  switch (t.kind) {
    case Kind::Blocked:
      return expand_to(t.blocked, scores, who, t.description + " mask");
    case Kind::Causal: {
      check_causal(t, scores, who);
      Mask future = Mask::from_shape({T, S});  // (T, S)
      for (std::size_t i = 0; i < T; ++i)
        for (std::size_t j = 0; j < S; ++j)
          future(i, j) = static_cast<std::int64_t>(j) > static_cast<std::int64_t>(i) + t.shift;
      return expand_to(future, scores, who, t.description + " mask");
    }
    case Kind::KeyPadding: {
      // (B, S) -> (B, 1, …, 1, S) with the scores' rank, so B meets the scores' first dim.
      check_key_padding(t, scores, who);
      const std::size_t B = t.blocked.shape()[0];
      Mask padding = t.blocked;
      Shape shape(scores.size(), 1);
      shape.front() = B;
      shape.back() = S;
      padding.reshape(shape);
      return expand_to(padding, scores, who, t.description + " mask");
    }
    case Kind::Additive: {
      check_fits(t.bias.shape(), scores, who, "additive mask");
      Mask neg_inf = Mask::from_shape(t.bias.shape());  // -inf entries block their key
      for (std::size_t i = 0; i < neg_inf.size(); ++i) {
        const float v = t.bias.value().data()[i];
        neg_inf.data()[i] = std::isinf(v) && v < 0.0f;
      }
      return expand_to(neg_inf, scores, who, t.description + " mask");
    }
  }
  throw std::logic_error("AttentionMask: unknown term kind");
}

Mask AttentionMask::blocked_positions(const Shape& scores, const std::string& who) const {
  if (scores.size() < 2)
    throw std::invalid_argument(
        fmt::format("{}: attention scores need at least 2 dims (T, S), got {}", who, shape_str(scores)));
  Mask blocked = Mask::from_shape(scores);  // (…, T, S): blocked if any term blocks
  std::fill(blocked.begin(), blocked.end(), false);
  for (const Term& t : terms_) {
    const Mask term = term_positions(t, scores, who);
    for (std::size_t i = 0; i < blocked.size(); ++i) blocked.data()[i] = blocked.data()[i] || term.data()[i];
  }
  return blocked;
}

std::vector<Tensor> AttentionMask::additive_biases(const Shape& scores, const std::string& who) const {
  std::vector<Tensor> out;
  for (const Term& t : terms_)
    if (t.kind == Kind::Additive) {
      check_fits(t.bias.shape(), scores, who, "additive mask");
      out.push_back(t.bias);
    }
  return out;
}

}  // namespace attograd::nn
