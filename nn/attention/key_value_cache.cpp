// KeyValueCache::reorder: beam search keeps, drops and copies hypotheses, which are rows of B.
#include <attograd/nn/attention/key_value_cache.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/indexing.hpp>

namespace attograd::nn {

void KeyValueCache::reorder(const std::vector<std::size_t>& from) {
  if (!keys.defined()) return;
  Index rows = Index::from_shape({from.size()});
  for (std::size_t i = 0; i < from.size(); ++i) {
    if (from[i] >= keys.shape()[0])
      throw std::out_of_range(fmt::format("KeyValueCache::reorder: hypothesis {} asked for, but the cache holds {}",
                                          from[i], keys.shape()[0]));
    rows(i) = static_cast<std::int64_t>(from[i]);
  }
  keys = index_select(keys, 0, rows);  // (K, S, E)
  values = index_select(values, 0, rows);
}

}  // namespace attograd::nn
