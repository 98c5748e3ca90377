// Choosing the next token from a language model's logits: greedy (temperature 0), or a draw
// from softmax(logits / temperature) restricted to the top-k tokens and/or the nucleus (top-p),
// as nanoGPT's generate and Hugging Face's samplers do. Draws come from an attograd::Generator,
// so the same seed gives the same text.
#pragma once

#include <cstdint>

#include <attograd/core/random.hpp>
#include <attograd/core/tensor.hpp>

namespace attograd::seq {

struct SamplingOptions {
  float temperature = 1.0f;  // 0: greedy (argmax, ties to the lowest id); > 0 divides the logits
  std::size_t top_k = 0;     // keep only the k largest logits (ties to the lowest ids); 0: off
  float top_p = 1.0f;        // nucleus: keep the fewest most likely tokens whose mass reaches p; 1: off
};

// One token id from logits (V,). Top-k is applied first, then top-p on the renormalised
// softmax(logits / temperature) of what is left (at least one token always survives); the id is
// then drawn from what survives, renormalised. A greedy call draws nothing from `g`; any other
// call draws exactly one number.
//
// Logits may hold -inf (blocked tokens) but not NaN or +inf, and not only -inf. Throws
// std::invalid_argument naming the bad value: a negative, NaN or infinite temperature, top_p
// outside (0, 1], logits that are not (V,) or are empty.
std::int64_t sample(const Tensor& logits, const SamplingOptions& options, Generator& g);

// One token id per row of logits (K, V) (for instance the last position of K sequences), drawn
// row by row in order: row k of the result is sample(logits[k], options, g) with g advanced by the
// rows before it. Returns (K,).
Index sample_rows(const Tensor& logits, const SamplingOptions& options, Generator& g);

}  // namespace attograd::seq
