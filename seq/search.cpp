// greedy_search and beam_search over a StepModel.
#include <attograd/seq/search.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>

namespace attograd::seq {

namespace {
void check_step(const Step& s, std::size_t K, const char* who) {
  if (!s.log_probs.defined() || s.log_probs.dim() != 2 || s.log_probs.shape()[0] != K || s.log_probs.shape()[1] == 0)
    throw std::invalid_argument(fmt::format("{}: the step must return log_probs (K = {}, V), got {}", who, K,
                                            s.log_probs.defined() ? shape_str(s.log_probs.shape()) : "undefined"));
  if (s.attention.defined() && (s.attention.dim() != 2 || s.attention.shape()[0] != K))
    throw std::invalid_argument(
        fmt::format("{}: the step's attention must be (K = {}, S), got {}", who, K, shape_str(s.attention.shape())));
}

void check_options(const SearchOptions& o, const char* who) {
  if (o.max_length == 0) throw std::invalid_argument(fmt::format("{}: max_length must be positive", who));
  if (!(o.length_penalty >= 0 && std::isfinite(o.length_penalty)))
    throw std::invalid_argument(
        fmt::format("{}: length_penalty must be finite and >= 0, got {}", who, o.length_penalty));
}

std::vector<float> attention_row(const Step& s, std::size_t k) {
  if (!s.attention.defined()) return {};
  const std::size_t S = s.attention.shape()[1];
  const float* row = s.attention.value().data() + k * S;
  return {row, row + S};
}

double length_normalised(const Hypothesis& h, double penalty) {
  const double length = static_cast<double>(h.tokens.size() + (h.finished ? 1 : 0));
  return penalty == 0.0 || length == 0.0 ? h.log_prob : h.log_prob / std::pow(length, penalty);
}
}  // namespace

std::vector<Hypothesis> greedy_search(StepModel& model, std::size_t batch, const SearchOptions& options) {
  check_options(options, "greedy_search");
  NoGradGuard no_grad;
  std::vector<Hypothesis> out(batch);
  if (batch == 0) return out;
  model.start(batch);
  Index last = Index::from_shape({batch});
  std::fill(last.begin(), last.end(), options.bos_id);
  std::size_t running = batch;
  for (std::size_t t = 0; t < options.max_length && running > 0; ++t) {
    const Step s = model.step(last);
    check_step(s, batch, "greedy_search");
    const std::size_t V = s.log_probs.shape()[1];
    for (std::size_t k = 0; k < batch; ++k) {
      if (out[k].finished) continue;
      const float* row = s.log_probs.value().data() + k * V;
      const auto best = static_cast<std::int64_t>(std::max_element(row, row + V) - row);
      out[k].log_prob += row[best];
      out[k].attention.push_back(attention_row(s, k));
      last(k) = best;
      if (best == options.eos_id) {
        out[k].finished = true;
        --running;
      } else {
        out[k].tokens.push_back(best);
      }
    }
  }
  for (Hypothesis& h : out) h.score = length_normalised(h, options.length_penalty);
  return out;
}

std::vector<Hypothesis> beam_search(StepModel& model, const SearchOptions& options) {
  check_options(options, "beam_search");
  if (options.beam == 0)
    throw std::invalid_argument(
        fmt::format("beam_search: beam must be at least 1 (1 is greedy search), got {}", options.beam));
  NoGradGuard no_grad;
  model.start(1);
  std::vector<Hypothesis> alive(1), finished;
  for (std::size_t t = 0; t < options.max_length && !alive.empty() && finished.size() < options.beam; ++t) {
    Index last = Index::from_shape({alive.size()});
    for (std::size_t k = 0; k < alive.size(); ++k)
      last(k) = alive[k].tokens.empty() ? options.bos_id : alive[k].tokens.back();
    const Step s = model.step(last);
    check_step(s, alive.size(), "beam_search");
    const std::size_t V = s.log_probs.shape()[1];

    // Every (hypothesis, token) extension, best first by total log-probability.
    struct Candidate {
      double log_prob;
      std::size_t from;
      std::int64_t token;
    };
    std::vector<Candidate> candidates;
    candidates.reserve(alive.size() * V);
    for (std::size_t k = 0; k < alive.size(); ++k) {
      const float* row = s.log_probs.value().data() + k * V;
      for (std::size_t v = 0; v < V; ++v)
        candidates.push_back({alive[k].log_prob + row[v], k, static_cast<std::int64_t>(v)});
    }
    const std::size_t keep = std::min(options.beam, candidates.size());
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep), candidates.end(),
                      [](const Candidate& a, const Candidate& b) {
                        return a.log_prob > b.log_prob || (a.log_prob == b.log_prob && a.token < b.token);
                      });

    std::vector<Hypothesis> next;
    std::vector<std::size_t> from;
    for (std::size_t i = 0; i < keep && finished.size() < options.beam; ++i) {
      const Candidate& c = candidates[i];
      Hypothesis h = alive[c.from];
      h.log_prob = c.log_prob;
      h.attention.push_back(attention_row(s, c.from));
      if (c.token == options.eos_id) {
        h.finished = true;
        finished.push_back(std::move(h));
      } else {
        h.tokens.push_back(c.token);
        next.push_back(std::move(h));
        from.push_back(c.from);
      }
    }
    alive = std::move(next);
    if (!alive.empty()) model.reorder(from);
  }
  for (Hypothesis& h : alive) finished.push_back(std::move(h));  // cut at max_length
  for (Hypothesis& h : finished) h.score = length_normalised(h, options.length_penalty);
  std::stable_sort(finished.begin(), finished.end(),
                   [](const Hypothesis& a, const Hypothesis& b) { return a.score > b.score; });
  if (finished.size() > options.beam) finished.resize(options.beam);
  return finished;
}

}  // namespace attograd::seq
