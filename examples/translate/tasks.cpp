// The toy tasks' generators and the TSV reader.
#include "tasks.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/random.hpp>

namespace translate {

using examples::tokenize;
using examples::Tokens;

const std::vector<std::string>& task_names() {
  static const std::vector<std::string> names{"dates", "reverse", "toy-lang"};
  return names;
}

namespace {

std::size_t below(attograd::Generator& g, std::size_t n) {  // uniform in [0, n)
  return std::min(n - 1, static_cast<std::size_t>(g.uniform() * static_cast<float>(n)));
}

// ---- dates -------------------------------------------------------------------------------------

const char* const months[] = {"January", "February", "March",     "April",   "May",      "June",
                              "July",    "August",   "September", "October", "November", "December"};
const char* const weekdays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string ordinal(unsigned d) {
  const char* suffix = (d % 100 >= 11 && d % 100 <= 13) ? "th"
                       : d % 10 == 1                    ? "st"
                       : d % 10 == 2                    ? "nd"
                       : d % 10 == 3                    ? "rd"
                                                        : "th";
  return fmt::format("{}{}", d, suffix);
}

// A source string built piece by piece, remembering which characters each field took.
struct DateText {
  std::string text;
  std::vector<std::size_t> year, month, day;
  void add(const std::string& s, std::vector<std::size_t>* field = nullptr) {
    for (std::size_t i = 0; i < s.size(); ++i)
      if (field) field->push_back(text.size() + i);
    text += s;
  }
};

DateText format_date(int y, unsigned m, unsigned d, unsigned weekday, std::size_t style) {
  DateText t;
  const std::string month = months[m - 1], wd = weekdays[weekday];
  switch (style) {
    case 0:  // Tue, 25 Nov 2026
      t.add(wd.substr(0, 3) + ", "), t.add(fmt::format("{}", d), &t.day), t.add(" "),
          t.add(month.substr(0, 3), &t.month), t.add(" "), t.add(fmt::format("{}", y), &t.year);
      break;
    case 1:  // 11/25/26
      t.add(fmt::format("{:02}", m), &t.month), t.add("/"), t.add(fmt::format("{:02}", d), &t.day), t.add("/"),
          t.add(fmt::format("{:02}", y % 100), &t.year);
      break;
    case 2:  // november 25th 2026
      t.add(lower(month), &t.month), t.add(" "), t.add(ordinal(d), &t.day), t.add(" "),
          t.add(fmt::format("{}", y), &t.year);
      break;
    case 3:  // 25.11.2026
      t.add(fmt::format("{:02}", d), &t.day), t.add("."), t.add(fmt::format("{:02}", m), &t.month), t.add("."),
          t.add(fmt::format("{}", y), &t.year);
      break;
    case 4:  // 25 November 2026
      t.add(fmt::format("{}", d), &t.day), t.add(" "), t.add(month, &t.month), t.add(" "),
          t.add(fmt::format("{}", y), &t.year);
      break;
    case 5:  // Nov 25, 2026
      t.add(month.substr(0, 3), &t.month), t.add(" "), t.add(fmt::format("{}", d), &t.day), t.add(", "),
          t.add(fmt::format("{}", y), &t.year);
      break;
    case 6:  // tuesday, november 25, 2026
      t.add(lower(wd) + ", "), t.add(lower(month), &t.month), t.add(" "), t.add(fmt::format("{}", d), &t.day),
          t.add(", "), t.add(fmt::format("{}", y), &t.year);
      break;
    case 7:  // 2026/11/25
      t.add(fmt::format("{}", y), &t.year), t.add("/"), t.add(fmt::format("{:02}", m), &t.month), t.add("/"),
          t.add(fmt::format("{:02}", d), &t.day);
      break;
    default:  // 25-NOV-2026
      t.add(fmt::format("{:02}", d), &t.day), t.add("-"), t.add(lower(month).substr(0, 3), &t.month), t.add("-"),
          t.add(fmt::format("{}", y), &t.year);
      for (std::size_t i : t.month) t.text[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(t.text[i])));
      break;
  }
  return t;
}
constexpr std::size_t date_styles = 9;

Example date_example(attograd::Generator& g) {
  using namespace std::chrono;
  const sys_days first = year{1950} / January / 1, last = year{2049} / December / 31;
  const sys_days day = first + days{static_cast<int>(below(g, static_cast<std::size_t>((last - first).count()) + 1))};
  const year_month_day ymd{day};
  const int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month()), d = static_cast<unsigned>(ymd.day());
  const DateText t = format_date(y, m, d, weekday{day}.c_encoding(), below(g, date_styles));
  Example e;
  e.source = tokenize(t.text, Tokens::Char);
  e.target = tokenize(fmt::format("{}-{:02}-{:02}", y, m, d), Tokens::Char);
  for (std::size_t i = 0; i < e.target.size(); ++i)  // yyyy-mm-dd
    e.alignment.push_back(i < 4 ? t.year : i >= 5 && i < 7 ? t.month : i >= 8 ? t.day : std::vector<std::size_t>{});
  return e;
}

// ---- reverse -----------------------------------------------------------------------------------

Example reverse_example(attograd::Generator& g) {
  const std::size_t n = 3 + below(g, 10);
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<char>('a' + below(g, 12));
  Example e;
  e.source = tokenize(s, Tokens::Char);
  e.target = std::vector<std::string>(e.source.rbegin(), e.source.rend());
  for (std::size_t i = 0; i < n; ++i) e.alignment.push_back({n - 1 - i});
  return e;
}

// ---- toy-lang ----------------------------------------------------------------------------------
// English-like SVO: "the big cats chase a small dog" -> SOV with particles and agreement:
// "oki neko-tachi ga chisa inu o oi-ru" (plural subjects take -tachi and the verb -ru, else -u).
// One to three such clauses joined by "and" ("soshite"), nouns with up to two adjectives: up to
// 29 source words, so that a model squeezing the sentence into one vector (--model none) starts
// to lose words on the long ones, while attention reorders each clause where it stands.

struct Word {
  const char *en, *en_plural, *toy;
};
const Word nouns[] = {{"cat", "cats", "neko"},     {"dog", "dogs", "inu"},           {"bird", "birds", "tori"},
                      {"fish", "fish", "sakana"},  {"man", "men", "otoko"},          {"woman", "women", "onna"},
                      {"child", "children", "ko"}, {"teacher", "teachers", "sensei"}};
const Word verbs[] = {{"sees", "see", "mi"},     {"eats", "eat", "tabe"},     {"likes", "like", "suki"},
                      {"chases", "chase", "oi"}, {"helps", "help", "tasuke"}, {"finds", "find", "mitsuke"}};
const char* const adjectives[][2] = {{"big", "oki"}, {"small", "chisa"}, {"red", "aka"}, {"old", "furu"}};

Example toy_example(attograd::Generator& g) {
  auto phrase = [&](bool plural, std::vector<std::string>& en, std::vector<std::string>& toy) {
    const Word& n = nouns[below(g, std::size(nouns))];
    en.push_back(below(g, 2) == 0 ? "the" : plural ? "some" : "a");
    for (std::size_t k = below(g, 3); k > 0; --k) {  // 0, 1 or 2 adjectives
      const auto& adj = adjectives[below(g, std::size(adjectives))];
      en.push_back(adj[0]), toy.push_back(adj[1]);
    }
    en.push_back(plural ? n.en_plural : n.en);
    toy.push_back(std::string(n.toy) + (plural ? "-tachi" : ""));
  };
  Example e;
  for (std::size_t clause = 0, clauses = 1 + below(g, 3); clause < clauses; ++clause) {
    if (clause > 0) e.source.push_back("and"), e.target.push_back("soshite");
    std::vector<std::string> subject, object, object_en;
    const bool plural = below(g, 2) == 0;
    phrase(plural, e.source, subject);
    const Word& v = verbs[below(g, std::size(verbs))];
    e.source.push_back(plural ? v.en_plural : v.en);
    phrase(below(g, 2) == 0, object_en, object);
    e.source.insert(e.source.end(), object_en.begin(), object_en.end());
    e.target.insert(e.target.end(), subject.begin(), subject.end());
    e.target.push_back("ga");
    e.target.insert(e.target.end(), object.begin(), object.end());
    e.target.push_back("o");
    e.target.push_back(std::string(v.toy) + (plural ? "-ru" : "-u"));
  }
  return e;
}

std::string key(const Example& e) { return examples::detokenize(e.source, Tokens::Word); }

void split(std::vector<Example> all, std::size_t held_out, Dataset& d, attograd::Generator& g) {
  for (std::size_t i = all.size(); i > 1; --i) std::swap(all[i - 1], all[below(g, i)]);  // shuffle
  d.test.assign(all.end() - static_cast<std::ptrdiff_t>(held_out), all.end());
  all.resize(all.size() - held_out);
  d.validation.assign(all.end() - static_cast<std::ptrdiff_t>(held_out), all.end());
  all.resize(all.size() - held_out);
  d.train = std::move(all);
}

}  // namespace

Dataset make_task(const std::string& task, std::size_t size, std::size_t held_out, std::uint64_t seed) {
  Example (*make)(attograd::Generator&) = task == "dates"      ? date_example
                                          : task == "reverse"  ? reverse_example
                                          : task == "toy-lang" ? toy_example
                                                               : nullptr;
  if (!make)
    throw std::invalid_argument(
        fmt::format("--task: unknown task '{}'; choose one of: {}", task, fmt::join(task_names(), ", ")));
  Dataset d;
  d.task = task;
  d.tokens = task == "toy-lang" ? Tokens::Word : Tokens::Char;
  attograd::Generator g(seed);
  std::vector<Example> all;
  std::set<std::string> seen;
  const std::size_t wanted = size + 2 * held_out;
  for (std::size_t tries = 0; all.size() < wanted && tries < 50 * wanted; ++tries) {
    Example e = make(g);
    if (seen.insert(key(e)).second) all.push_back(std::move(e));
  }
  if (all.size() < wanted)
    throw std::invalid_argument(
        fmt::format("--task {}: only {} distinct examples exist for the {} asked for", task, all.size(), wanted));
  split(std::move(all), held_out, d, g);
  return d;
}

namespace {

// The usable pairs of one file, each once, in file order; skipped lines counted in `d`.
std::vector<Example> read_pairs(const std::string& option, const std::filesystem::path& path, const FileOptions& o,
                                Dataset& d) {
  std::vector<Example> all;
  std::set<std::string> seen;
  std::size_t malformed = 0, too_long = 0;
  examples::read_tsv_columns(option, path, [&](std::size_t, std::string a, std::string b) {
    if (o.swap) std::swap(a, b);
    Example e;
    e.source = tokenize(a, o.tokens);
    e.target = tokenize(b, o.tokens);
    if (e.source.empty() || e.target.empty()) {
      ++malformed;
      return;
    }
    if (o.max_length > 0 && (e.source.size() > o.max_length || e.target.size() > o.max_length)) {
      ++too_long;
      return;
    }
    if (seen.insert(a + '\t' + b).second) all.push_back(std::move(e));
  });
  if (all.empty())
    throw std::runtime_error(
        fmt::format("{} {}: no usable pairs ({} malformed lines without a tab or with an empty "
                    "side, {} longer than --max-len)",
                    option, path.string(), malformed, too_long));
  d.skipped_malformed += malformed, d.skipped_too_long += too_long;
  return all;
}

}  // namespace

Dataset read_tsv(const std::filesystem::path& path, const FileOptions& o) {
  Dataset d;
  d.task = "file";
  d.tokens = o.tokens;
  std::vector<Example> all = read_pairs("--data", path, o, d);
  if (all.size() < 3)
    throw std::runtime_error(
        fmt::format("--data {}: only {} usable pairs ({} malformed lines without a tab or with "
                    "an empty side, {} longer than --max-len); need at least 3",
                    path.string(), all.size(), d.skipped_malformed, d.skipped_too_long));
  const examples::SplitPlan plan = examples::plan_split(all.size(), o.split, "pairs");
  examples::Split<Example> s = examples::split_items(std::move(all), plan, o.seed);
  d.train = std::move(s.train), d.validation = std::move(s.validation), d.test = std::move(s.test);
  if (!o.split.test_file.empty()) d.test = read_pairs("--test", o.split.test_file, o, d);
  d.split_rule = plan.rule;
  return d;
}

}  // namespace translate
