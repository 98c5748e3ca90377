// How close predicted token sequences are to their references: exact match, token accuracy and
// corpus BLEU (Papineni et al. 2002). All are fractions in [0, 1].
#pragma once

#include <string>
#include <vector>

#include <attograd/seq/sequences.hpp>

namespace attograd::seq {

// The share of pairs whose prediction equals its reference token for token.
double exact_match(const std::vector<TokenIds>& predictions, const std::vector<TokenIds>& references);

// The share of reference tokens whose position holds the same token in the prediction
// (a missing position counts as wrong; extra predicted tokens are not counted).
double token_accuracy(const std::vector<TokenIds>& predictions, const std::vector<TokenIds>& references);

// Corpus BLEU-n with one reference per sentence, the standard definition without smoothing:
//   p_k = Σ_sentences (n-grams of length k in the prediction, each counted at most as often as in
//         its reference) / Σ_sentences (n-grams of length k in the prediction)
//   BP  = 1 if c > r else exp(1 - r / c), c and r the total prediction and reference lengths
//   BLEU = BP · exp(mean_k log p_k)  for k = 1 … max_n;  0 if any p_k is 0 (or c = 0).
double corpus_bleu(const std::vector<TokenIds>& predictions, const std::vector<TokenIds>& references,
                   std::size_t max_n = 4);

}  // namespace attograd::seq
