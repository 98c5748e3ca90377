// Generation from a decoder-only language model (a GPT): a prompt, then one token at a time,
// each drawn from the model's logits for the next position (seq/sampling.hpp).
//
// With a key/value cache the prompt is prefilled in one forward and every later step runs only
// the newest token against the cached keys and values, so a step costs one position instead of
// the whole window. Without it every step runs the whole window again. Both give the same tokens
// (and logits within float rounding; tests/seq/test_generate.cpp).
//
// Past the context. A model with learned positions sees at most context_length() positions.
// When the text grows past it, the window is cropped to its last context_length() tokens, as
// nanoGPT's generate does; the cached keys and values belong to the old positions, so the cache
// is cleared and the cropped window prefilled again. From there on every step costs a whole
// window, cache or not, and the two stay equal.
#pragma once

#include <cstddef>
#include <cstdint>

#include <attograd/core/random.hpp>
#include <attograd/core/tensor.hpp>
#include <attograd/seq/sampling.hpp>
#include <attograd/seq/sequences.hpp>

namespace attograd::seq {

// What generate() needs of a model. Implement it over your own network (examples/lm does).
class CausalLanguageModel {
 public:
  virtual ~CausalLanguageModel() = default;
  // The most positions the model can attend over at once (its learned positions, say).
  virtual std::size_t context_length() const = 0;
  // ids (B, T) at positions start … start + T - 1 -> logits (B, T, V), causal. With use_cache the
  // model keeps what it needs of these positions (keys and values) and `start` is how many it
  // holds already; without, start is 0 and ids is the whole window.
  virtual Tensor forward(const Index& ids, std::size_t start, bool use_cache) = 0;
  // Forgets every cached position (the next call with use_cache starts at 0).
  virtual void clear_cache() = 0;
};

struct GenerateOptions {
  std::size_t max_new_tokens = 100;
  SamplingOptions sampling;  // temperature 0: greedy
  bool use_cache = true;
};

// The prompt followed by max_new_tokens generated ids (fewer never: there is no end token here).
// Throws std::invalid_argument naming the values for an empty prompt or one longer than
// context_length().
TokenIds generate(CausalLanguageModel& model, const TokenIds& prompt, const GenerateOptions& options, Generator& g);

}  // namespace attograd::seq
