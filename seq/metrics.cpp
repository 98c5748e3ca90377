// exact_match, token_accuracy and corpus_bleu (definitions in the header).
#include <attograd/seq/metrics.hpp>

#include <cmath>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

namespace attograd::seq {

namespace {
void check_pairs(const char* who, const std::vector<TokenIds>& predictions, const std::vector<TokenIds>& references) {
  if (predictions.size() != references.size())
    throw std::invalid_argument(
        fmt::format("{}: {} predictions but {} references", who, predictions.size(), references.size()));
}

std::map<TokenIds, std::size_t> ngram_counts(const TokenIds& s, std::size_t n) {
  std::map<TokenIds, std::size_t> counts;
  for (std::size_t i = 0; i + n <= s.size(); ++i) ++counts[TokenIds(s.begin() + i, s.begin() + i + n)];
  return counts;
}
}  // namespace

double exact_match(const std::vector<TokenIds>& predictions, const std::vector<TokenIds>& references) {
  check_pairs("exact_match", predictions, references);
  if (predictions.empty()) return 0.0;
  std::size_t same = 0;
  for (std::size_t i = 0; i < predictions.size(); ++i) same += predictions[i] == references[i];
  return static_cast<double>(same) / static_cast<double>(predictions.size());
}

double token_accuracy(const std::vector<TokenIds>& predictions, const std::vector<TokenIds>& references) {
  check_pairs("token_accuracy", predictions, references);
  std::size_t right = 0, total = 0;
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    total += references[i].size();
    for (std::size_t t = 0; t < references[i].size(); ++t)
      right += t < predictions[i].size() && predictions[i][t] == references[i][t];
  }
  return total == 0 ? 0.0 : static_cast<double>(right) / static_cast<double>(total);
}

double corpus_bleu(const std::vector<TokenIds>& predictions, const std::vector<TokenIds>& references,
                   std::size_t max_n) {
  check_pairs("corpus_bleu", predictions, references);
  if (max_n == 0) throw std::invalid_argument("corpus_bleu: max_n must be positive");
  std::vector<double> matched(max_n, 0.0), total(max_n, 0.0);
  double c = 0.0, r = 0.0;
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    c += static_cast<double>(predictions[i].size());
    r += static_cast<double>(references[i].size());
    for (std::size_t n = 1; n <= max_n; ++n) {
      const auto ref = ngram_counts(references[i], n);
      for (const auto& [gram, count] : ngram_counts(predictions[i], n)) {
        const auto it = ref.find(gram);
        matched[n - 1] += static_cast<double>(std::min(count, it == ref.end() ? std::size_t{0} : it->second));
        total[n - 1] += static_cast<double>(count);
      }
    }
  }
  if (c == 0.0) return 0.0;
  double log_sum = 0.0;
  for (std::size_t n = 0; n < max_n; ++n) {
    if (matched[n] == 0.0) return 0.0;
    log_sum += std::log(matched[n] / total[n]);
  }
  const double brevity = c > r ? 1.0 : std::exp(1.0 - r / c);
  return brevity * std::exp(log_sum / static_cast<double>(max_n));
}

}  // namespace attograd::seq
