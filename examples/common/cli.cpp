// The shared options, the per-model defaults in --help, and run_main.
#include "cli.hpp"

#include <cstdio>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

namespace examples {

void add_common_options(CLI::App& app, CommonOptions& o, const std::string& items, const std::string& outputs) {
  app.add_option("--batch", o.batch, items + " per step")->check(CLI::Range(1, 4096))->capture_default_str();
  app.add_option("--schedule", o.schedule, "lr schedule: constant, or cosine (5 % warmup, then down to 0)")
      ->check(CLI::IsMember({"cosine", "constant"}))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed for data, initialisation and batches")->capture_default_str();
  app.add_option("--train-size", o.train_size, "generated training " + items)
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  app.add_option("--held-out", o.held_out, "validation and test " + items + " each")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--eval-every", o.eval_every, "every N steps, print the validation metrics (0: never)")
      ->check(CLI::Range(0, 10000000))
      ->capture_default_str();
  app.add_option("--beam", o.beam, "beam width for decoding (1: greedy)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--samples", o.samples, "test " + outputs + " to print")->capture_default_str();
  app.add_option("--save", o.save, "write the trained model (with its vocabularies) to CKPT");
  app.add_option("--load", o.load, "start from a model saved with --save")->check(CLI::ExistingFile);
  app.add_flag("--profile", o.profile, "after training, print where its time went, per op (core/profiler.hpp)");
  app.add_flag("--dry-run", o.dry_run, "print the start-up line (the settings used and the data sizes), then stop");
  app.add_option("--metrics-json", o.metrics_json, "write the metrics as one JSON object to PATH");
  app.add_option("--report", o.report, "write an HTML report with the attention to DIR")->capture_default_str();
  app.add_flag_callback(
         "--no-report", [&o] { o.report.clear(); }, "write no report")
      ->excludes("--report");
}

const ModelSettings& defaults_for(const DefaultsTable& table, const std::string& kind) {
  for (const auto& [name, settings] : table)
    if (name == kind) return settings;
  throw std::invalid_argument(fmt::format("no defaults for model '{}'", kind));
}

ModelSettings ModelOverrides::apply(ModelSettings s) const {
  s.hidden = hidden.value_or(s.hidden), s.layers = layers.value_or(s.layers), s.heads = heads.value_or(s.heads);
  s.ff = ff.value_or(s.ff), s.dropout = dropout.value_or(s.dropout);
  s.steps = steps.value_or(s.steps), s.lr = lr.value_or(s.lr);
  return s;
}

namespace {

// "default: 64 for transformer, 128 for the others", from the table's column `field`.
template <class T>
std::string default_text(const DefaultsTable& table, T ModelSettings::*field) {
  std::map<std::string, std::vector<std::string>> kinds_by_value;
  std::map<std::string, std::size_t> first_seen;
  for (const auto& [kind, settings] : table) {
    const std::string value = fmt::format("{}", settings.*field);
    first_seen.emplace(value, first_seen.size());
    kinds_by_value[value].push_back(kind);
  }
  if (kinds_by_value.size() == 1) return fmt::format("default: {}", kinds_by_value.begin()->first);
  std::string most = kinds_by_value.begin()->first;
  for (const auto& [value, kinds] : kinds_by_value)
    if (kinds.size() > kinds_by_value[most].size()) most = value;
  std::string text = "default:";
  for (const auto& [value, kinds] : kinds_by_value)
    if (value != most) text += fmt::format(" {} for {},", value, fmt::join(kinds, ", "));
  return text + fmt::format(" {} for the others", most);
}

std::string defaults_table_text(const DefaultsTable& table) {
  std::string text = "Defaults per model (an option given on the command line overrides its column):\n";
  text += fmt::format("  {:<14}{:>7}{:>7}{:>6}{:>6}{:>8}{:>7}{:>8}\n", "model", "hidden", "layers", "heads", "ff",
                      "dropout", "steps", "lr");
  for (const auto& [kind, s] : table)
    text += fmt::format("  {:<14}{:>7}{:>7}{:>6}{:>6}{:>8}{:>7}{:>8}\n", kind, s.hidden, s.layers, s.heads, s.ff,
                        s.dropout, s.steps, s.lr);
  return text;
}

template <class T>
void add_model_option(CLI::App& app, const std::string& name, std::optional<T>& value, const std::string& help,
                      const DefaultsTable& table, T ModelSettings::*field, CLI::Validator range) {
  app.add_option_function<T>(
         name, [&value](const T& v) { value = v; }, help + " (" + default_text(table, field) + ")")
      ->check(range);
}

}  // namespace

void add_model_options(CLI::App& app, ModelOverrides& o, const DefaultsTable& table, const ModelOptionHelp& help) {
  add_model_option(app, "--hidden", o.hidden, help.hidden, table, &ModelSettings::hidden, CLI::Range(1, 4096));
  add_model_option(app, "--layers", o.layers, help.layers, table, &ModelSettings::layers, CLI::Range(1, 16));
  add_model_option(app, "--heads", o.heads, help.heads, table, &ModelSettings::heads, CLI::Range(1, 64));
  add_model_option(app, "--ff", o.ff, help.ff, table, &ModelSettings::ff, CLI::Range(1, 16384));
  add_model_option(app, "--dropout", o.dropout, help.dropout, table, &ModelSettings::dropout, CLI::Range(0.0, 0.9));
  add_model_option(app, "--steps", o.steps, help.steps, table, &ModelSettings::steps, CLI::Range(0, 10000000));
  add_model_option(app, "--lr", o.lr, help.lr, table, &ModelSettings::lr, CLI::Range(1e-6, 1.0));
  app.footer(defaults_table_text(table));
}

std::string settings_text(const std::string& kind, const ModelSettings& s, std::size_t batch) {
  return fmt::format("model {}, hidden {}, layers {}, heads {}, ff {}, dropout {}, steps {}, lr {}, batch {}", kind,
                     s.hidden, s.layers, s.heads, s.ff, s.dropout, s.steps, s.lr, batch);
}

std::string startup_line(const std::string& kind, const ModelSettings& s, std::size_t batch, std::size_t train,
                         std::size_t validation, std::size_t test, const std::string& items) {
  return fmt::format("settings: {}; data: {} training, {} validation, {} test {}", settings_text(kind, s, batch), train,
                     validation, test, items);
}

Given::Values model_setting_values(const std::string& kind, const ModelSettings& s, const Given& given) {
  auto value = [&](const std::string& name, const auto& v) {
    return std::pair{name, given(name) ? fmt::format("{}", v) : fmt::format("{} ({}'s default)", v, kind)};
  };
  return {value("--hidden", s.hidden),   value("--layers", s.layers), value("--heads", s.heads), value("--ff", s.ff),
          value("--dropout", s.dropout), value("--steps", s.steps),   value("--lr", s.lr)};
}

int run_main(CLI::App& app, int argc, char** argv, const std::string& program,
             const std::function<int(const Given&)>& run) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // see cli.hpp: piped output stays in order
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::set<std::string> given;
  Given::Values values;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->count() > 0) given.insert(opt->get_name());
    if (opt->get_name() == "--help") continue;
    const bool flag = opt->get_expected_min() == 0;
    const std::string value = flag               ? (opt->count() > 0 ? "yes" : "no")
                              : opt->count() > 0 ? fmt::format("{}", fmt::join(opt->results(), " "))
                                                 : opt->get_default_str();
    values.emplace_back(opt->get_name(), value);
  }
  try {
    return run(Given(std::move(given), std::move(values)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), e.what());
    return 1;
  }
}

}  // namespace examples
