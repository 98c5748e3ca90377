// plan_split: the split rule for a user's file, and its options.
#include "splits.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace examples {

void add_split_options(CLI::App& app, SplitOptions& o, const std::string& file_option, const std::string& items) {
  app.add_option("--val-fraction", o.val_fraction,
                 "with " + file_option + ": the share of its " + items +
                     " held out for validation, picked at random with --seed (--held-out N: N instead)")
      ->check(CLI::Range(0.0, 0.9))
      ->capture_default_str()
      ->needs(file_option);
  app.add_option("--test-fraction", o.test_fraction,
                 "with " + file_option + ": the share of its " + items +
                     " held out for the final test (--held-out N: N instead; 0 with --test)")
      ->check(CLI::Range(0.0, 0.9))
      ->capture_default_str()
      ->needs(file_option);
  app.add_option("--test", o.test_file,
                 "with " + file_option + ": test on this file's " + items + " instead (same format); " + file_option +
                     " then gives only training and validation " + items)
      ->check(CLI::ExistingFile)
      ->needs(file_option);
}

SplitPlan plan_split(std::size_t usable, const SplitOptions& o, const std::string& items) {
  for (const auto& [name, value] : {std::pair{"--val-fraction", o.val_fraction}, {"--test-fraction", o.test_fraction}})
    if (!(value >= 0.0 && value < 1.0))
      throw std::invalid_argument(
          fmt::format("{} {}: a share of the {}, from 0 up to (not including) 1", name, value, items));
  const bool own_test = !o.test_file.empty();
  auto share = [usable](double f) {
    return f <= 0.0 ? std::size_t{0}
                    : std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(f * static_cast<double>(usable))));
  };
  SplitPlan p;
  if (o.held_out) {
    p.validation = *o.held_out, p.test = own_test ? 0 : *o.held_out;
    p.rule = own_test ? fmt::format("{} validation (--held-out {}), test from --test {}", p.validation, *o.held_out,
                                    o.test_file)
                      : fmt::format("{} validation and {} test (--held-out {})", p.validation, p.test, *o.held_out);
  } else {
    p.validation = share(o.val_fraction), p.test = own_test ? 0 : share(o.test_fraction);
    p.rule = fmt::format("{:g} % validation (--val-fraction {:g}), ", 100 * o.val_fraction, o.val_fraction) +
             (own_test ? fmt::format("test from --test {}", o.test_file)
                       : fmt::format("{:g} % test (--test-fraction {:g})", 100 * o.test_fraction, o.test_fraction));
  }
  if (p.validation + p.test >= usable)
    throw std::invalid_argument(fmt::format(
        "the split takes {} validation and {} test {} of the {} usable, leaving none to train on; {}", p.validation,
        p.test, items, usable,
        o.held_out ? "give a smaller --held-out, or leave it out to split by --val-fraction and --test-fraction"
                   : "give smaller --val-fraction and --test-fraction (or --test FILE)"));
  p.train = usable - p.validation - p.test;
  p.rule = fmt::format("{} usable {}, shuffled: {}", usable, items, p.rule);
  return p;
}

}  // namespace examples
