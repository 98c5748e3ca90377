// Greedy and beam search over a step function: any model that maps the last token of each
// hypothesis (and its own state) to the log-probabilities of the next token, and, if it has
// attention, where it looked. A translation model, a captioning model or your own plug in by
// implementing StepModel.
#pragma once

#include <cstdint>
#include <vector>

#include <attograd/core/tensor.hpp>
#include <attograd/seq/sequences.hpp>

namespace attograd::seq {

struct Step {
  Tensor log_probs;  // (K, V): log p(next token | the hypothesis so far), one row per hypothesis
  Tensor attention;  // (K, S): each hypothesis's attention weights at this step; undefined if none
};

class StepModel {
 public:
  virtual ~StepModel() = default;
  // Begins K hypotheses from the model's input (for a batch of sources, one per source).
  virtual void start(std::size_t K) = 0;
  // last_tokens (K,): the newest token of each hypothesis (BOS at first) -> the next step.
  virtual Step step(const Index& last_tokens) = 0;
  // Keeps hypotheses from[0], from[1], … in that order (beam search drops and copies them):
  // reorder every per-hypothesis state along its batch dim (index_select).
  virtual void reorder(const std::vector<std::size_t>& from) = 0;
};

struct Hypothesis {
  TokenIds tokens;                            // without BOS and without the final EOS
  double log_prob = 0.0;                      // Σ log p of the tokens (and of EOS if it ended)
  double score = 0.0;                         // log_prob / length^length_penalty (beam search)
  bool finished = false;                      // ended with EOS (not cut at max_length)
  std::vector<std::vector<float>> attention;  // per emitted token (EOS included): weights over S
};

struct SearchOptions {
  std::int64_t bos_id = 1;
  std::int64_t eos_id = 2;
  std::size_t max_length = 50;  // tokens emitted at most, EOS included
  std::size_t beam = 4;         // beam_search only
  double length_penalty = 1.0;  // beam_search: score = log_prob / length^length_penalty (0: none)
};

// The most likely next token at every step, for K = batch hypotheses at once (one per source:
// the model's start(batch) sets them up). Each stops at its EOS or at max_length.
std::vector<Hypothesis> greedy_search(StepModel& model, std::size_t batch, const SearchOptions& options);

// Beam search for one source: keeps the `beam` best partial hypotheses by log-probability,
// moves those that emit EOS to the finished list, and stops when `beam` hypotheses have
// finished, none is left, or max_length is reached (the unfinished then count, finished =
// false). Returns them best first by score. With beam = 1 this is greedy_search.
std::vector<Hypothesis> beam_search(StepModel& model, const SearchOptions& options);

}  // namespace attograd::seq
