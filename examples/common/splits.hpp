// How a user's own file is split into training, validation and test items, the rule said out
// loud: by fractions (default 10 % validation, 10 % test), by fixed counts (--held-out N), or
// with the user's own test file (--test FILE: nothing of the training file is tested on).
// The programs print the rule and the resulting sizes at start, and the report shows them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

namespace examples {

struct SplitOptions {
  double val_fraction = 0.1, test_fraction = 0.1;  // shares of the file's usable items
  std::optional<std::size_t> held_out{};           // --held-out N given: N each instead of the fractions
  std::string test_file{};                         // --test FILE: the test split is that file's
};

// --val-fraction, --test-fraction and --test; `file_option` names the training file's option
// ("--data", "--captions") and `items` what it holds ("pairs").
void add_split_options(CLI::App& app, SplitOptions& o, const std::string& file_option, const std::string& items);

struct SplitPlan {
  std::size_t train = 0, validation = 0, test = 0;  // taken from the file, in this order from its end
  std::string rule;  // "10 % validation (--val-fraction 0.1), 10 % test (--test-fraction 0.1)"
};

// The sizes for `usable` items: validation and test each round(usable × fraction), at least 1
// when the fraction is positive (or --held-out's count each); with a test file, no test items.
// Throws std::invalid_argument naming the options and values when a fraction is outside
// [0, 1), or when nothing would be left to train on.
SplitPlan plan_split(std::size_t usable, const SplitOptions& o, const std::string& items);

template <class T>
struct Split {
  std::vector<T> train, validation, test;
};

// Shuffles `all` with `seed` (the same file and seed give the same split) and cuts it by `plan`.
template <class T>
Split<T> split_items(std::vector<T> all, const SplitPlan& plan, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::shuffle(all.begin(), all.end(), g);
  Split<T> s;
  auto take = [&all](std::vector<T>& to, std::size_t n) {
    to.assign(std::make_move_iterator(all.end() - static_cast<std::ptrdiff_t>(n)), std::make_move_iterator(all.end()));
    all.resize(all.size() - n);
  };
  take(s.test, plan.test);
  take(s.validation, plan.validation);
  s.train = std::move(all);
  return s;
}

}  // namespace examples
