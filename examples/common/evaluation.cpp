// search, sequence_metrics, sample_line, peak.
#include "evaluation.hpp"

#include <algorithm>

#include "vocabulary.hpp"

namespace examples {

using namespace attograd;

seq::SearchOptions search_options(std::size_t max_length, std::size_t beam) {
  return {.bos_id = Vocabulary::bos, .eos_id = Vocabulary::eos, .max_length = max_length, .beam = beam};
}

std::vector<seq::Hypothesis> search(std::size_t n, std::size_t chunk, const seq::SearchOptions& o,
                                    const StepModelFactory& make) {
  std::vector<seq::Hypothesis> out;
  if (o.beam > 1) chunk = 1;
  for (std::size_t first = 0; first < n; first += chunk) {
    const std::size_t count = std::min(n, first + chunk) - first;
    const std::unique_ptr<seq::StepModel> model = make(first, count);
    const std::vector<seq::Hypothesis> found = o.beam > 1 ? std::vector<seq::Hypothesis>{seq::beam_search(*model, o)[0]}
                                                          : seq::greedy_search(*model, count, o);
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

nlohmann::json sequence_metrics(const std::vector<seq::TokenIds>& predictions,
                                const std::vector<seq::TokenIds>& references) {
  return {{"exact_match", seq::exact_match(predictions, references)},
          {"token_accuracy", seq::token_accuracy(predictions, references)},
          {"bleu", seq::corpus_bleu(predictions, references)}};
}

std::string sample_line(const std::string& shown, bool right, const std::string& reference) {
  return "  " + shown + (right ? "" : "   (wrong: expected " + reference + ")");
}

std::size_t peak(const std::vector<float>& row) {
  return static_cast<std::size_t>(std::max_element(row.begin(), row.end()) - row.begin());
}

Tensor replayed_attention(seq::StepModel& model, const seq::TokenIds& output) {
  NoGradGuard no_grad;
  model.start(1);
  std::vector<Tensor> rows;  // each (1, S)
  Index last = Index::from_shape({1});
  last(0) = Vocabulary::bos;
  for (std::size_t t = 0; t <= output.size(); ++t) {
    const seq::Step step = model.step(last);
    if (!step.attention.defined()) return {};
    rows.push_back(step.attention);
    if (t < output.size()) last(0) = output[t];
  }
  return unsqueeze(unsqueeze(cat(rows, 0), 0), 0);  // (1, 1, T + 1, S)
}

}  // namespace examples
