// Decoding a held-out split and scoring it, as both examples do: greedy search over chunks of
// inputs at once or beam search one input at a time, with the vocabulary's BOS and EOS, and
// exact match, token accuracy and BLEU-4 as one JSON object.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <attograd/attograd.hpp>

namespace examples {

// Search settings with examples::Vocabulary's BOS and EOS ids.
attograd::seq::SearchOptions search_options(std::size_t max_length, std::size_t beam);

// Builds the step model over inputs first … first + count - 1.
using StepModelFactory = std::function<std::unique_ptr<attograd::seq::StepModel>(std::size_t first, std::size_t count)>;

// The best hypothesis for each of n inputs: greedy over `chunk` inputs at a time (beam 1), or
// beam search one at a time.
std::vector<attograd::seq::Hypothesis> search(std::size_t n, std::size_t chunk, const attograd::seq::SearchOptions& o,
                                              const StepModelFactory& make);

// {"exact_match", "token_accuracy", "bleu"} of the predictions against their references.
nlohmann::json sequence_metrics(const std::vector<attograd::seq::TokenIds>& predictions,
                                const std::vector<attograd::seq::TokenIds>& references);

// "  SHOWN" and, if it is wrong, "   (wrong: expected REFERENCE)": one line of printed samples.
std::string sample_line(const std::string& shown, bool right, const std::string& reference);

// The attention of a step model (started on one input) as it writes `output` then EOS, fed its
// tokens after BOS: (1, 1, T + 1, S), one row per step; undefined if the model has no attention.
// For an output the model decoded itself this is the attention it paid while decoding it.
attograd::Tensor replayed_attention(attograd::seq::StepModel& model, const attograd::seq::TokenIds& output);

// The index of the largest weight in a row of attention (the row must not be empty).
std::size_t peak(const std::vector<float>& row);

}  // namespace examples
