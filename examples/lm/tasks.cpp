// sort, add and text: problems, batches, prompts, greedy answers, and reading a text.
#include "tasks.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace lm {

using namespace attograd;

const std::vector<std::string>& task_names() {
  static const std::vector<std::string> names{"sort", "add", "text"};
  return names;
}

// ---- the tokenizer ----

std::string Tokenizer::kind() const { return std::holds_alternative<seq::ByteBPE>(impl_) ? "bpe" : "char"; }

std::size_t Tokenizer::size() const {
  return std::visit(
      [](const auto& t) {
        if constexpr (std::is_same_v<std::decay_t<decltype(t)>, seq::ByteBPE>)
          return t.vocab_size();
        else
          return t.size();
      },
      impl_);
}

TokenIds Tokenizer::encode(const std::string& text) const {
  return std::visit([&](const auto& t) { return t.encode(text); }, impl_);
}

std::string Tokenizer::decode(const TokenIds& ids) const {
  return std::visit([&](const auto& t) { return t.decode(ids); }, impl_);
}

namespace {

// The length of the valid UTF-8 sequence at text[i] (no overlong forms, surrogates or code
// points past U+10FFFF), or 0.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  const std::size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  std::uint32_t c = n == 1 ? b : b & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  return c < smallest[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) ? 0 : n;
}

}  // namespace

std::string Tokenizer::display(const TokenIds& ids) const {
  const std::string bytes = decode(ids);
  std::string out;
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t n = utf8_length(bytes, i);
    out += n == 0 ? "\uFFFD" : bytes.substr(i, n);
    i += std::max<std::size_t>(n, 1);
  }
  return out;
}

std::string Tokenizer::to_string() const {
  return std::visit([](const auto& t) { return t.to_string(); }, impl_);
}

Tokenizer Tokenizer::from_string(const std::string& kind, const std::string& text) {
  if (kind == "char") return Tokenizer(seq::CharVocabulary::from_string(text));
  if (kind == "bpe") return Tokenizer(seq::ByteBPE::from_string(text));
  throw std::invalid_argument(fmt::format("unknown tokenizer '{}' (expected char or bpe)", kind));
}

// ---- sort and add ----

namespace {

constexpr std::size_t sort_digits = 6, add_digits = 2;

// 0, 1, …, n - 1 in an order drawn from `seed` (Fisher-Yates).
std::vector<std::size_t> shuffled(std::size_t n, std::size_t seed) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  Generator g(seed);
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[g.below(i)]);
  return order;
}

TokenIds sort_problem(std::size_t code) {  // code in [0, 3⁶): its base-3 digits, then them sorted
  TokenIds digits;
  for (std::size_t i = 0; i < sort_digits; ++i, code /= 3) digits.push_back(static_cast<std::int64_t>(code % 3));
  TokenIds sorted = digits;
  std::sort(sorted.begin(), sorted.end());
  digits.insert(digits.end(), sorted.begin(), sorted.end());
  return digits;
}

TokenIds add_problem(std::size_t a, std::size_t b) {  // a's digits, b's digits, (a + b)'s reversed
  const std::size_t c = a + b;
  return {static_cast<std::int64_t>(a / 10),      static_cast<std::int64_t>(a % 10),
          static_cast<std::int64_t>(b / 10),      static_cast<std::int64_t>(b % 10),
          static_cast<std::int64_t>(c % 10),      static_cast<std::int64_t>(c / 10 % 10),
          static_cast<std::int64_t>(c / 100 % 10)};
}

std::string digits_text(const TokenIds& ids, std::size_t from, std::size_t to) {
  std::string s;
  for (std::size_t i = from; i < to; ++i) s += static_cast<char>('0' + ids[i]);
  return s;
}

}  // namespace

Problems make_problems(const std::string& task, std::size_t seed) {
  Problems p;
  p.task = task;
  if (task == "sort") {  // minGPT holds out a quarter of the inputs and tests on draws from them
    p.prompt_length = p.answer_length = sort_digits;
    const std::vector<std::size_t> order = shuffled(729, seed);
    std::vector<TokenIds> unseen;
    for (std::size_t i = 0; i < order.size(); ++i)
      (i < order.size() / 4 ? unseen : p.train).push_back(sort_problem(order[i]));
    Generator g(seed + 1);
    for (std::size_t i = 0; i < 5000; ++i) p.held_out.push_back(unseen[g.below(unseen.size())]);
    p.held_out_unique = unseen.size();
  } else if (task == "add") {
    p.prompt_length = 2 * add_digits, p.answer_length = add_digits + 1;
    const std::vector<std::size_t> order = shuffled(10000, seed);
    for (std::size_t i = 0; i < order.size(); ++i)
      (i < 1000 ? p.held_out : p.train).push_back(add_problem(order[i] / 100, order[i] % 100));
    p.held_out_unique = p.held_out.size();
  } else {
    throw std::invalid_argument(fmt::format("'{}' is not a problem task (sort or add)", task));
  }
  return p;
}

Tokenizer problem_tokenizer(const std::string& task) {
  return Tokenizer(seq::CharVocabulary(task == "sort" ? "012" : "0123456789"));
}

seq::LMBatch problem_batch(const std::vector<const TokenIds*>& problems, std::size_t prompt_length) {
  const std::size_t B = problems.size(), T = problems.front()->size() - 1;
  seq::LMBatch batch{Index::from_shape({B, T}), Index::from_shape({B, T})};
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t) {
      batch.inputs(b, t) = (*problems[b])[t];
      batch.targets(b, t) = t + 1 < prompt_length ? -1 : (*problems[b])[t + 1];  // the answer only
    }
  return batch;
}

std::string show_problem(const Problems& p, const TokenIds& prompt, const TokenIds& answer) {
  if (answer.empty() && p.task == "sort") return digits_text(prompt, 0, prompt.size()) + " -> ?";
  if (answer.empty())
    return digits_text(prompt, 0, add_digits) + "+" + digits_text(prompt, add_digits, 2 * add_digits) + "=?";
  if (p.task == "sort") return digits_text(prompt, 0, prompt.size()) + " -> " + digits_text(answer, 0, answer.size());
  TokenIds reversed(answer.rbegin(), answer.rend());
  const std::string sum = digits_text(reversed, 0, reversed.size());
  const std::size_t first = std::min(sum.find_first_not_of('0'), sum.size() - 1);
  return digits_text(prompt, 0, add_digits) + "+" + digits_text(prompt, add_digits, 2 * add_digits) + "=" +
         sum.substr(first);
}

TokenIds parse_prompt(const Problems& p, const std::string& text) {
  std::string digits;
  for (const char c : text)
    if (c != ' ') digits += c;
  if (const std::size_t plus = digits.find('+'); p.task == "add" && plus != std::string::npos) {
    std::string a = digits.substr(0, plus), b = digits.substr(plus + 1);  // "5+7" is 05 + 07
    digits = a.size() <= add_digits && b.size() <= add_digits && !a.empty() && !b.empty()
                 ? std::string(add_digits - a.size(), '0') + a + std::string(add_digits - b.size(), '0') + b
                 : "";
  }
  const char top = p.task == "sort" ? '2' : '9';
  const bool ok = digits.size() == p.prompt_length &&
                  std::all_of(digits.begin(), digits.end(), [&](char c) { return c >= '0' && c <= top; });
  if (!ok)
    throw std::invalid_argument(
        p.task == "sort" ? fmt::format("--prompt '{}': sort takes 6 digits from 0, 1 and 2, e.g. --prompt 201102", text)
                         : fmt::format("--prompt '{}': add takes two numbers from 0 to 99, e.g. --prompt 12+34", text));
  TokenIds ids;
  for (const char c : digits) ids.push_back(c - '0');
  return ids;
}

std::vector<TokenIds> greedy_answers(LanguageModel& model, const std::vector<TokenIds>& prompts,
                                     std::size_t answer_length, std::size_t chunk) {
  NoGradGuard no_grad;
  std::vector<TokenIds> answers;
  for (std::size_t first = 0; first < prompts.size(); first += chunk) {
    const std::size_t n = std::min(chunk, prompts.size() - first), P = prompts[first].size();
    Index ids = Index::from_shape({n, P});
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t t = 0; t < P; ++t) ids(i, t) = prompts[first + i][t];
    std::vector<TokenIds> chunk_answers(n);
    model.clear_cache();
    for (std::size_t k = 0, start = 0; k < answer_length; ++k) {
      const Tensor out = model.forward(ids, start, /*use_cache=*/true);
      const Array& logits = out.value();  // (n, t, V)
      start += ids.shape()[1];
      const std::size_t last = logits.shape()[1] - 1, V = logits.shape()[2];
      ids = Index::from_shape({n, 1});
      for (std::size_t i = 0; i < n; ++i) {
        std::size_t best = 0;
        for (std::size_t v = 1; v < V; ++v)
          if (logits(i, last, v) > logits(i, last, best)) best = v;
        ids(i, 0) = static_cast<std::int64_t>(best);
        chunk_answers[i].push_back(static_cast<std::int64_t>(best));
      }
    }
    model.clear_cache();
    answers.insert(answers.end(), chunk_answers.begin(), chunk_answers.end());
  }
  return answers;
}

// ---- text ----

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("--data {}: cannot be read", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string read_text(const std::filesystem::path& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found)
    throw std::runtime_error(fmt::format("--data {}: no such file or directory", path.string()));
  if (error) throw std::runtime_error(fmt::format("--data {}: {}", path.string(), error.message()));
  std::vector<std::filesystem::path> files{path};
  if (std::filesystem::is_directory(status)) {
    files.clear();
    for (const auto& entry : std::filesystem::directory_iterator(path))
      if (!entry.is_symlink() && entry.is_regular_file()) files.push_back(entry.path());
    if (files.empty())
      throw std::runtime_error(fmt::format("--data {}: the directory holds no regular files", path.string()));
    std::sort(files.begin(), files.end());
  } else if (!std::filesystem::is_regular_file(status)) {
    throw std::runtime_error(fmt::format("--data {}: not a regular file or directory", path.string()));
  }
  std::string text;
  for (const auto& file : files) {
    const std::string part = read_file(file);
    if (const std::size_t nul = part.find('\0'); nul != std::string::npos)
      throw std::runtime_error(fmt::format(
          "--data {}: looks binary, not text (a NUL byte at offset {}); give a UTF-8 text file", file.string(), nul));
    text += part;
  }
  if (text.empty()) throw std::runtime_error(fmt::format("--data {}: the text is empty", path.string()));
  return text;
}

}  // namespace lm
