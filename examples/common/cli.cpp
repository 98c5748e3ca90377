// The shared options, the per-model defaults in --help, and run_main.
#include "cli.hpp"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <attograd/attograd.hpp>

#include "training.hpp"

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
  app.add_option("--eval-every", o.eval_every,
                 "every N steps, print the validation metrics (0: never); on your own data (--data, --images) the "
                 "default is a tenth of --steps, so that the best model is kept")
      ->check(CLI::Range(0, 10000000))
      ->capture_default_str();
  app.add_option("--keep", o.keep,
                 "with --eval-every: the model the test and --save use, the one with the best validation --best-by "
                 "(best) or the last step's (last)")
      ->check(CLI::IsMember({"best", "last"}))
      ->capture_default_str();
  app.add_option("--best-by", o.best_by, "the validation metric --keep best and --patience follow (higher is better)")
      ->check(CLI::IsMember({"exact_match", "bleu", "token_accuracy"}))
      ->capture_default_str();
  app.add_option("--patience", o.patience,
                 "stop after N validations in a row without a better --best-by (0: never stop early)")
      ->check(CLI::Range(0, 1000000))
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
  add_run_options(app, o.run);
}

void add_run_options(CLI::App& app, RunOptions& o) {
  app.add_option("--checkpoint", o.checkpoint,
                 "write the whole training state (model, optimizer, schedule, random generators, data position, "
                 "curves) to CKPT every --save-every steps, after the last, and on Ctrl-C (which then exits with "
                 "130; without --checkpoint, Ctrl-C writes PROGRAM_interrupted.safetensors here); each write "
                 "replaces the last only once complete. A write that fails stops training, naming the path and the "
                 "cause; the previous checkpoint stays intact");
  app.add_option("--save-every", o.save_every, "with --checkpoint: write it every N steps (0: only after the last)")
      ->check(CLI::Range(0, 100000000));
  app.add_option("--resume", o.resume,
                 "continue the run saved in CKPT exactly where it stopped (bitwise the same run); the other options "
                 "are the saved run's: give only --checkpoint, --save-every, --save, --report, --metrics-json, "
                 "--samples, --profile or --detect-anomaly")
      ->check(CLI::ExistingFile);
  app.add_flag("--detect-anomaly", o.detect_anomaly,
               "check every op for NaN/Inf, so a diverging run names the op and the line that made one (slower)");
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
  auto value = [&](const std::string& name, const auto& v) { return setting_value(given, name, v, kind); };
  return {value("--hidden", s.hidden),   value("--layers", s.layers), value("--heads", s.heads), value("--ff", s.ff),
          value("--dropout", s.dropout), value("--steps", s.steps),   value("--lr", s.lr)};
}

namespace {

// What a resumed run may set anew: where its outputs go and what it reports. Every other option
// is the saved run's.
const std::set<std::string> resume_may_set = {"--resume",  "--checkpoint",    "--save-every",   "--save",
                                              "--report",  "--no-report",     "--metrics-json", "--samples",
                                              "--profile", "--detect-anomaly"};

// A flag given as --tie, or --tie=true, is on; --tie=false (or 0, off, no) is off.
bool flag_on(const CLI::Option* opt) {
  if (opt->count() == 0) return false;
  if (opt->results().empty()) return true;
  const std::string& v = opt->results().back();
  return !(v == "false" || v == "0" || v == "off" || v == "no");
}

// Two values of one option: the same text, or the same number written two ways (0.001 and 1e-3).
bool same_value(const std::string& a, const std::string& b) {
  if (a == b) return true;
  char *end_a = nullptr, *end_b = nullptr;
  const double x = std::strtod(a.c_str(), &end_a), y = std::strtod(b.c_str(), &end_b);
  return !a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0' && x == y;
}

// Every option's value as the run sees it, in --help's order, and the names of those given.
std::pair<std::set<std::string>, Given::Values> option_values(const CLI::App& app) {
  std::set<std::string> given;
  Given::Values values;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->count() > 0) given.insert(opt->get_name());
    if (opt->get_name() == "--help") continue;
    const bool flag = opt->get_expected_min() == 0;
    const std::string value = flag               ? (flag_on(opt) ? "yes" : "no")
                              : opt->count() > 0 ? fmt::format("{}", fmt::join(opt->results(), " "))
                                                 : opt->get_default_str();
    values.emplace_back(opt->get_name(), value);
  }
  return {given, values};
}

// The options given to `app`, as tokens: those a resumed run may set anew (outputs), or the others.
std::vector<std::string> given_tokens(const CLI::App& app, bool outputs) {
  std::vector<std::string> tokens;
  for (const CLI::Option* opt : app.get_options())
    if (opt->count() > 0 && resume_may_set.count(opt->get_name()) == (outputs ? 1u : 0u)) {
      if (opt->get_expected_min() == 0 && !flag_on(opt)) continue;  // --tie=false: as if not given
      tokens.push_back(opt->get_name());
      if (opt->get_expected_min() > 0) tokens.insert(tokens.end(), opt->results().begin(), opt->results().end());
    }
  return tokens;
}

void parse_args(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  app.clear();
  app.parse(reversed);
}

// --resume CKPT: the saved run's settings (its command line without its outputs), then this one's
// outputs, parsed into `app`; returns the saved settings. Throws naming the file if it is another program's, and the
// first option given here with another value than the saved run's.
std::vector<std::string> parse_resumed(CLI::App& app, const std::string& program, const std::string& path) {
  const attograd::Metadata m = attograd::optim::read_training_state(path).metadata;
  const auto saved_program = m.find("examples.program"), saved_args = m.find("examples.args");
  if (saved_program == m.end() || saved_args == m.end())
    throw std::runtime_error(
        fmt::format("--resume {}: not a checkpoint of a training run (write one with --checkpoint)", path));
  if (saved_program->second != program)
    throw std::runtime_error(
        fmt::format("--resume {}: a checkpoint of {}, not of {}", path, saved_program->second, program));
  const auto saved_line = nlohmann::json::parse(saved_args->second).get<std::vector<std::string>>();
  const std::vector<std::string> outputs = given_tokens(app, true);
  const auto [now_given, now_values] = option_values(app);
  parse_args(app, saved_line);
  const auto [saved_given, saved_values] = option_values(app);
  for (std::size_t i = 0; i < now_values.size(); ++i) {
    const auto& [name, value] = now_values[i];
    if (now_given.count(name) && !resume_may_set.count(name) && !same_value(saved_values[i].second, value))
      throw std::invalid_argument(fmt::format(
          "--resume {}: the saved run has {} {}, this command line {} {}; a resumed run keeps the saved "
          "run's settings (leave {} out, or start a new run without --resume)",
          path, name, saved_values[i].second.empty() ? "(its default)" : saved_values[i].second, name, value, name));
  }
  std::vector<std::string> line = given_tokens(app, false);  // the saved run's settings, then this one's outputs
  line.insert(line.end(), outputs.begin(), outputs.end());
  parse_args(app, line);
  return saved_line;
}

}  // namespace

int run_main(CLI::App& app, int argc, char** argv, const std::string& program,
             const std::function<int(const Given&)>& run) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // see cli.hpp: piped output stays in order
  std::vector<std::string> args;             // the run's settings as tokens, without its outputs: what checkpoints keep
  try {
    app.parse(argc, argv);
    args = given_tokens(app, false);
    if (const CLI::Option* resume = app.get_option_no_throw("--resume"); resume && resume->count() > 0)
      args = parse_resumed(app, program, resume->as<std::string>());
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), e.what());
    return 1;
  }
  auto [given, values] = option_values(app);
  try {
    return run(Given(std::move(given), std::move(values), std::move(args), program));
  } catch (const Interrupted& e) {
    std::fprintf(stderr, "\n%s: %s\n", program.c_str(), e.what());
    return 130;
  } catch (const std::exception& e) {
    const std::string what = e.what();
    const std::string where = current_training_step > 0 && what.rfind("anomaly:", 0) == 0
                                  ? fmt::format("step {}: ", current_training_step)
                                  : "";
    std::fprintf(stderr, "%s: error: %s%s\n", program.c_str(), where.c_str(), what.c_str());
    return 1;
  }
}

}  // namespace examples
