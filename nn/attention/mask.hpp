// AttentionMask: the one mask vocabulary every attention layer in attograd takes.
//
// Polarity is in the name, never in a convention you must remember:
//   AttentionMask::allowed(m)    m true  = the query MAY attend to that key
//   AttentionMask::blocked(m)    m true  = the query may NOT attend to that key
//   AttentionMask::padded_keys(m) m (B, S) true = that key is padding (PyTorch's key_padding_mask)
//   AttentionMask::key_padding(lengths, S)   keys j >= lengths[b] of sequence b are blocked
//   AttentionMask::causal(T, S, alignment)   future keys blocked; the alignment says which:
//     TopLeft      query i sees keys j <= i           (torch.tril; T == S in training)
//     BottomRight  query i sees keys j <= i + S - T   (the last query sees every key: decoding
//                                                      with a key/value cache, where the T
//                                                      queries are the newest of S positions)
//   AttentionMask::additive(bias)  a float tensor added to the scores; -inf blocks a key
//   combine(a, b) or a & b         blocked if either blocks; additive biases add up
// A default-constructed AttentionMask (or AttentionMask::none()) blocks nothing.
//
// For contrast: PyTorch's scaled_dot_product_attention takes boolean True = attend, while its
// MultiheadAttention takes True = blocked. Here both are spelled out.
//
// A mask is resolved against the attention scores (…, T, S) - (B, H, T, S) inside multi-head
// attention, (B, T, S) for single-head layers, (B, S) for one decoder step of Bahdanau/Luong:
//   - allowed, blocked and additive masks have either the scores' rank or at most two dims
//     (T, S), and broadcast like NumPy (size-1 dims stretch) without growing the scores. A
//     per-sequence mask for multi-head scores is (B, 1, T, S): a (B, T, S) mask is refused, since
//     lined up at the right its B would meet H;
//   - key padding lines up its B with the scores' first dim and its S with the last;
//   - causal masks must match the scores' last two dims (T, S) exactly.
// Anything else throws std::invalid_argument naming the layer, the mask and the scores' shapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <attograd/core/tensor.hpp>
#include <attograd/nn/sequence_lengths.hpp>

namespace attograd::nn {

enum class CausalAlignment { TopLeft, BottomRight };

class AttentionMask {
 public:
  AttentionMask() = default;  // blocks nothing
  static AttentionMask none() { return {}; }

  static AttentionMask allowed(Mask may_attend);
  static AttentionMask blocked(Mask may_not_attend);
  static AttentionMask causal(std::size_t T, std::size_t S, CausalAlignment alignment);
  // lengths (B,): sequence b has lengths[b] real keys, then padding up to S. Takes a
  // std::vector, a braced list or a 1-D Index.
  static AttentionMask key_padding(const SequenceLengths& lengths, std::size_t S);
  // PyTorch's 3-D attn_mask (B·H, T, S), true = blocked: row b·H + h is head h of sequence b.
  // Resolved as the (B, H, T, S) mask it is; for multi-head scores only.
  static AttentionMask blocked_per_head(const Mask& may_not_attend, std::size_t num_heads);
  // is_padding (B, S): true where the key is padding.
  static AttentionMask padded_keys(Mask is_padding);
  // bias broadcast to the scores and added to them; may require grad (e.g. a learned
  // relative-position bias). Entries equal to -inf block their key.
  static AttentionMask additive(Tensor bias);

  bool empty() const { return terms_.empty(); }
  std::string describe() const;  // e.g. "causal(T=3, S=5, BottomRight) & key_padding(B=2, S=5)"

  // The mask as it applies to scores of shape `scores`: true where the key is blocked.
  // Additive terms contribute their -inf entries. `who` names the layer in errors.
  Mask blocked_positions(const Shape& scores, const std::string& who) const;
  // The additive terms, each checked to broadcast to `scores` (empty if there are none).
  std::vector<Tensor> additive_biases(const Shape& scores, const std::string& who) const;

  // When the mask is only causal and key-padding terms: the causal shift (query i may not look at
  // keys j > i + shift; the smallest of several) and the padded keys (B, S), checked against
  // `scores` as blocked_positions checks them, without spelling out (…, T, S). What the
  // streaming attention kernel takes (core/fused/attention_heads.hpp). Otherwise nullopt.
  struct Compact {
    std::optional<std::int64_t> causal_shift;
    std::optional<Mask> padded_keys;  // (B, S) true = padding
  };
  std::optional<Compact> compact(const Shape& scores, const std::string& who) const;

  friend AttentionMask combine(const AttentionMask& a, const AttentionMask& b);

 private:
  enum class Kind { Blocked, Causal, KeyPadding, Additive };
  struct Term {
    Kind kind;
    Mask blocked;  // Blocked: any shape; KeyPadding: (B, S) true = padding
    Tensor bias;   // Additive only
    std::string description;
    std::int64_t shift = 0;    // Causal: key j is blocked for query i when j > i + shift …
    std::size_t T = 0, S = 0;  // … in scores of T queries and S keys
  };
  static Mask term_positions(const Term& t, const Shape& scores, const std::string& who);
  static void check_causal(const Term& t, const Shape& scores, const std::string& who);
  static void check_key_padding(const Term& t, const Shape& scores, const std::string& who);

  std::vector<Term> terms_;
};

AttentionMask combine(const AttentionMask& a, const AttentionMask& b);
inline AttentionMask operator&(const AttentionMask& a, const AttentionMask& b) { return combine(a, b); }

}  // namespace attograd::nn
