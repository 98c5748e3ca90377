// ByteBPE: training with incremental pair counts over a linked list of tokens, encoding with a
// priority queue of (merge rank, position), decoding by concatenating each id's bytes.
#include <attograd/seq/bpe.hpp>

#include <algorithm>
#include <charconv>
#include <limits>
#include <queue>
#include <stdexcept>

#include <fmt/format.h>

namespace attograd::seq {

namespace {

constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();  // no neighbour
constexpr std::int32_t removed = -1;                                       // a position merged into its left neighbour

std::uint64_t pair_key(std::int64_t left, std::int64_t right) {
  return (static_cast<std::uint64_t>(left) << 32) | static_cast<std::uint64_t>(right);
}

// The text as a doubly linked list of token ids, one node per byte; a merge rewrites the left
// node and unlinks the right one, so positions stay valid for the whole run.
struct TokenList {
  std::vector<std::int32_t> id;
  std::vector<std::uint32_t> prev, next;

  explicit TokenList(std::string_view bytes, const char* op)
      : id(bytes.size()), prev(bytes.size()), next(bytes.size()) {
    if (bytes.size() >= none)
      throw std::invalid_argument(
          fmt::format("{}: {} bytes is more than this tokenizer handles (4 GiB); pass the "
                      "text in pieces",
                      op, bytes.size()));
    for (std::uint32_t i = 0; i < bytes.size(); ++i) {
      id[i] = static_cast<unsigned char>(bytes[i]);
      prev[i] = i == 0 ? none : i - 1;
      next[i] = i + 1 == bytes.size() ? none : i + 1;
    }
  }
  // Replaces the pair at i (and its right neighbour) by new_id.
  void merge(std::uint32_t i, std::int32_t new_id) {
    const std::uint32_t j = next[i], k = next[j];
    id[i] = new_id;
    id[j] = removed;
    next[i] = k;
    if (k != none) prev[k] = i;
  }
  TokenIds tokens() const {
    TokenIds out;
    for (std::size_t i = 0; i < id.size(); ++i)
      if (id[i] != removed) out.push_back(id[i]);
    return out;
  }
};

}  // namespace

ByteBPE::ByteBPE() {
  for (int b = 0; b < 256; ++b) bytes_.emplace_back(1, static_cast<char>(b));
}

void ByteBPE::add_merge(std::int64_t left, std::int64_t right) {
  rank_.emplace(pair_key(left, right), static_cast<std::int32_t>(merges_.size()));
  merges_.emplace_back(left, right);
  bytes_.push_back(bytes_[static_cast<std::size_t>(left)] + bytes_[static_cast<std::size_t>(right)]);
}

ByteBPE ByteBPE::train(std::string_view text, std::size_t vocab_size) {
  if (vocab_size < 256)
    throw std::invalid_argument(fmt::format(
        "ByteBPE::train: vocab_size {} is below 256, the byte alphabet every ByteBPE starts from; pass 256 (bytes "
        "only) or more",
        vocab_size));
  ByteBPE bpe;
  TokenList list(text, "ByteBPE::train");
  // count[pair]: how often the pair is adjacent now (overlaps counted, as a plain count would);
  // where[pair]: positions it was seen at (a superset: stale entries are skipped when used).
  std::unordered_map<std::uint64_t, std::int64_t> count;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> where;
  for (std::uint32_t i = 0; i + 1 < list.id.size(); ++i) {
    const std::uint64_t key = pair_key(list.id[i], list.id[i + 1]);
    ++count[key];
    where[key].push_back(i);
  }
  // The most frequent pair on top, ties to the lowest key (left id, then right id). Entries go
  // stale when a count changes; the current count is pushed again, and stale ones are skipped.
  using Entry = std::pair<std::int64_t, std::uint64_t>;
  const auto lower = [](const Entry& a, const Entry& b) {
    return a.first < b.first || (a.first == b.first && a.second > b.second);
  };
  std::vector<Entry> entries;
  for (const auto& [key, n] : count) entries.emplace_back(n, key);
  std::priority_queue<Entry, std::vector<Entry>, decltype(lower)> heap(lower, std::move(entries));

  const auto current = [&](std::uint64_t key) {
    const auto it = count.find(key);
    return it == count.end() ? 0 : it->second;
  };
  std::vector<std::uint64_t> changed;
  while (bpe.vocab_size() < vocab_size) {
    while (!heap.empty() && current(heap.top().second) != heap.top().first) heap.pop();
    if (heap.empty() || heap.top().first == 0) break;  // no adjacent pair left
    const std::uint64_t key = heap.top().second;
    heap.pop();
    const auto a = static_cast<std::int32_t>(key >> 32), b = static_cast<std::int32_t>(key & 0xFFFFFFFFu);
    const auto new_id = static_cast<std::int32_t>(bpe.vocab_size());
    bpe.add_merge(a, b);

    std::vector<std::uint32_t> positions = std::move(where[key]);
    where.erase(key);
    std::sort(positions.begin(), positions.end());  // left to right, so "aaa" becomes "N a"
    positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
    const auto add = [&](std::uint64_t k, std::int64_t delta) {
      count[k] += delta;
      changed.push_back(k);
    };
    const auto appear = [&](std::uint64_t k, std::uint32_t position) {
      add(k, +1);
      where[k].push_back(position);
    };
    for (const std::uint32_t i : positions) {
      const std::uint32_t j = list.next[i];
      if (list.id[i] != a || j == none || list.id[j] != b) continue;  // stale: merged away or changed
      const std::uint32_t p = list.prev[i], q = list.next[j];
      // Pairs (prev, a), (a, b), (b, next) disappear; (prev, new), (new, next) appear.
      if (p != none) add(pair_key(list.id[p], a), -1);
      add(key, -1);
      if (q != none) add(pair_key(b, list.id[q]), -1);
      list.merge(i, new_id);
      if (p != none) appear(pair_key(list.id[p], new_id), p);
      if (q != none) appear(pair_key(new_id, list.id[q]), i);
    }
    std::sort(changed.begin(), changed.end());
    changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
    for (const std::uint64_t k : changed) {
      if (count[k] > 0) {
        heap.emplace(count[k], k);
      } else {
        count.erase(k);
        where.erase(k);
      }
    }
    changed.clear();
  }
  return bpe;
}

TokenIds ByteBPE::encode(std::string_view bytes) const {
  TokenList list(bytes, "ByteBPE::encode");
  const auto rank = [&](std::int32_t left, std::int32_t right) {
    const auto it = rank_.find(pair_key(left, right));
    return it == rank_.end() ? -1 : it->second;
  };
  // Lowest rank first, then leftmost: merge r is applied everywhere, left to right, before merge
  // r + 1 - as in training. A merge only creates pairs of higher rank (they contain its new id).
  using Entry = std::pair<std::int32_t, std::uint32_t>;  // (rank, position of the left token)
  std::vector<Entry> entries;
  for (std::uint32_t i = 0; i + 1 < list.id.size(); ++i)
    if (const std::int32_t r = rank(list.id[i], list.id[i + 1]); r >= 0) entries.emplace_back(r, i);
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap({}, std::move(entries));  // O(N) heapify
  while (!heap.empty()) {
    const auto [r, i] = heap.top();
    heap.pop();
    const std::uint32_t j = list.next[i];
    if (list.id[i] == removed || j == none || rank(list.id[i], list.id[j]) != r) continue;  // stale
    list.merge(i, 256 + r);
    if (const std::uint32_t p = list.prev[i]; p != none)
      if (const std::int32_t rp = rank(list.id[p], list.id[i]); rp >= 0) heap.emplace(rp, p);
    if (const std::uint32_t q = list.next[i]; q != none)
      if (const std::int32_t rq = rank(list.id[i], list.id[q]); rq >= 0) heap.emplace(rq, i);
  }
  return list.tokens();
}

const std::string& ByteBPE::token(std::int64_t id) const {
  if (id < 0 || id >= static_cast<std::int64_t>(vocab_size()))
    throw std::invalid_argument(
        fmt::format("ByteBPE::token: id {} is outside the vocabulary of {} tokens", id, vocab_size()));
  return bytes_[static_cast<std::size_t>(id)];
}

std::string ByteBPE::decode(const TokenIds& ids) const {
  std::string out;
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (ids[t] < 0 || ids[t] >= static_cast<std::int64_t>(vocab_size()))
      throw std::invalid_argument(fmt::format(
          "ByteBPE::decode: id {} at position {} is outside the vocabulary of {} tokens", ids[t], t, vocab_size()));
    out += bytes_[static_cast<std::size_t>(ids[t])];
  }
  return out;
}

std::string ByteBPE::to_string() const {
  std::string s = fmt::format("attograd.ByteBPE 1\nvocab_size {}\n", vocab_size());
  for (const auto& [left, right] : merges_) s += fmt::format("{} {}\n", left, right);
  return s;
}

namespace {

// Splits "a b" (decimal, non-negative) into two numbers; false if it is anything else.
bool parse_two(std::string_view line, std::int64_t& a, std::int64_t& b) {
  const char* end = line.data() + line.size();
  auto [p, ec] = std::from_chars(line.data(), end, a);
  if (ec != std::errc() || p == end || *p != ' ') return false;
  auto [q, ec2] = std::from_chars(p + 1, end, b);
  return ec2 == std::errc() && q == end && a >= 0 && b >= 0;
}

}  // namespace

ByteBPE ByteBPE::from_string(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos)
      throw std::invalid_argument(
          fmt::format("ByteBPE::from_string: line {} ({:?}) has no final newline: the text was cut short; pass what "
                      "ByteBPE::to_string() returned",
                      lines.size() + 1, std::string(text.substr(start, 40))));
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (lines.empty() || lines[0] != "attograd.ByteBPE 1")
    throw std::invalid_argument(fmt::format(
        "ByteBPE::from_string: the text does not start with the line \"attograd.ByteBPE 1\" (it starts with {:?}); "
        "pass what ByteBPE::to_string() returned",
        std::string(text.substr(0, 40))));
  std::int64_t vocab_size = -1;
  if (lines.size() < 2 || lines[1].substr(0, 11) != "vocab_size " ||
      std::from_chars(lines[1].data() + 11, lines[1].data() + lines[1].size(), vocab_size).ptr !=
          lines[1].data() + lines[1].size())
    throw std::invalid_argument(fmt::format("ByteBPE::from_string: line 2 must be \"vocab_size N\", got {:?}",
                                            std::string(lines.size() < 2 ? "" : lines[1])));
  if (vocab_size < 256)
    throw std::invalid_argument(fmt::format(
        "ByteBPE::from_string: vocab_size {} (line 2) is below 256, the byte alphabet every ByteBPE has", vocab_size));
  const auto merges = static_cast<std::size_t>(vocab_size - 256);
  if (lines.size() - 2 != merges)
    throw std::invalid_argument(fmt::format(
        "ByteBPE::from_string: vocab_size {} needs {} merge lines, but there are {}: the text was cut or changed",
        vocab_size, merges, lines.size() - 2));
  ByteBPE bpe;
  for (std::size_t m = 0; m < merges; ++m) {
    const std::size_t line = m + 3;
    std::int64_t a = 0, b = 0;
    if (!parse_two(lines[line - 1], a, b))
      throw std::invalid_argument(fmt::format("ByteBPE::from_string: line {} must be two ids \"left right\", got {:?}",
                                              line, std::string(lines[line - 1])));
    const auto defined = static_cast<std::int64_t>(bpe.vocab_size());
    if (a >= defined || b >= defined)
      throw std::invalid_argument(
          fmt::format("ByteBPE::from_string: line {} merges ({}, {}) into id {}, but only ids below {} exist before it",
                      line, a, b, defined, defined));
    if (const auto it = bpe.rank_.find(pair_key(a, b)); it != bpe.rank_.end())
      throw std::invalid_argument(fmt::format("ByteBPE::from_string: line {} repeats the merge ({}, {}) of line {}",
                                              line, a, b, it->second + 3));
    bpe.add_merge(a, b);
  }
  return bpe;
}

}  // namespace attograd::seq
