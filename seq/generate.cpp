// generate: prefill, then one position per step, cropping the window past the context.
#include <attograd/seq/generate.hpp>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/ops/shape_ops.hpp>

namespace attograd::seq {

namespace {

Index as_row(const TokenIds& ids, std::size_t from, std::size_t to) {  // ids[from, to) as (1, to - from)
  Index row = Index::from_shape({1, to - from});
  for (std::size_t i = from; i < to; ++i) row(0, i - from) = ids[i];
  return row;
}

// The logits (V,) of the position after ids[from, to): a forward over the new positions only.
Tensor next_logits(CausalLanguageModel& model, const TokenIds& ids, std::size_t from, std::size_t to, std::size_t start,
                   bool use_cache) {
  const Tensor logits = model.forward(as_row(ids, from, to), start, use_cache);      // (1, to - from, V)
  return select(select(logits, 0, 0), 0, static_cast<std::int64_t>(to - from - 1));  // (V,)
}

}  // namespace

TokenIds generate(CausalLanguageModel& model, const TokenIds& prompt, const GenerateOptions& options, Generator& g) {
  const std::size_t context = model.context_length();
  if (prompt.empty()) throw std::invalid_argument("generate: the prompt is empty; give at least one token");
  if (prompt.size() > context)
    throw std::invalid_argument(fmt::format(
        "generate: the prompt has {} tokens but the model sees at most {} (its context); shorten the prompt",
        prompt.size(), context));
  NoGradGuard no_grad;
  TokenIds ids = prompt;
  model.clear_cache();
  std::size_t cached = 0;  // positions the model holds, with use_cache
  for (std::size_t step = 0; step < options.max_new_tokens; ++step) {
    const std::size_t end = ids.size(), begin = end > context ? end - context : 0;  // the window
    Tensor logits;
    if (!options.use_cache) {
      logits = next_logits(model, ids, begin, end, 0, false);
    } else if (begin == 0) {
      logits = next_logits(model, ids, cached, end, cached, true);  // the prompt, then one new token
      cached = end;
    } else {
      model.clear_cache();  // cropped: the cached positions are gone, so prefill the window again
      logits = next_logits(model, ids, begin, end, 0, true);
      cached = 0;
    }
    ids.push_back(sample(logits, options.sampling, g));
  }
  model.clear_cache();
  return ids;
}

}  // namespace attograd::seq
