// The command line both training examples share: the options every run takes (batch, seed,
// splits, decoding, outputs), the per-model defaults table that --help prints and the program
// uses, and main's plumbing (parse, run, report an error).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

namespace examples {

// Long runs (DESIGN §6): periodic checkpoints of the whole training state, resuming from one,
// and anomaly detection for a run that diverges. Every training program takes these.
struct RunOptions {
  std::string checkpoint, resume;
  std::size_t save_every = 0;
  bool detect_anomaly = false;
};

// --checkpoint, --save-every, --resume and --detect-anomaly.
void add_run_options(CLI::App& app, RunOptions& o);

struct CommonOptions {
  std::size_t batch = 32, seed = 1, train_size = 1000, held_out = 100, eval_every = 0, beam = 1, samples = 5;
  std::string schedule = "constant";
  // With --eval-every: the model the run ends with ("best": the one with the best validation
  // --best-by, or "last"), and --patience validations without a better one before stopping.
  std::string keep = "best", best_by = "bleu";
  std::size_t patience = 0;
  bool profile = false, dry_run = false;
  std::string save, load, metrics_json, report;
  RunOptions run;
};

// --batch, --schedule, --seed, --train-size, --held-out, --eval-every, --keep, --best-by, --patience, --beam,
// --samples, --save,
// --load, --profile, --dry-run, --metrics-json, --report and --no-report, and add_run_options'. `items` names what the
// program trains on ("sentences", "images"), `outputs` what it writes ("translations").
void add_common_options(CLI::App& app, CommonOptions& o, const std::string& items, const std::string& outputs);

// The sizes and training settings of one model kind.
struct ModelSettings {
  std::size_t hidden = 0, layers = 0, heads = 0, ff = 0;
  float dropout = 0.0f;
  std::size_t steps = 0;
  double lr = 0.0;
};
using DefaultsTable = std::vector<std::pair<std::string, ModelSettings>>;  // model kind, its defaults

// The table's row for `kind`; throws std::invalid_argument naming the kind if there is none.
const ModelSettings& defaults_for(const DefaultsTable& table, const std::string& kind);

// What --hidden, --layers, --heads, --ff, --dropout, --steps and --lr set; unset: the model's default.
struct ModelOverrides {
  std::optional<std::size_t> hidden, layers, heads, ff, steps;
  std::optional<float> dropout;
  std::optional<double> lr;
  ModelSettings apply(ModelSettings defaults) const;
};

// The help text of each of those options, before "(default: …)" is added from the table.
struct ModelOptionHelp {
  std::string hidden, layers, heads, ff, dropout, steps, lr;
};

// Adds the seven options, each saying its default per model kind, and the table itself as the
// help's footer, so --help shows exactly the values the program uses.
void add_model_options(CLI::App& app, ModelOverrides& o, const DefaultsTable& table, const ModelOptionHelp& help);

// The settings a run uses: its model's sizes (a config with hidden, layers, heads, ff and
// dropout), and the steps and lr of the model kind's defaults unless given; a loaded model
// trains only if --steps is given.
template <class Config>
ModelSettings settings_used(const DefaultsTable& table, const Config& c, const ModelOverrides& o, bool loaded) {
  const ModelSettings training = o.apply(defaults_for(table, c.kind));
  const std::size_t steps = loaded && !o.steps ? 0 : training.steps;
  return {c.hidden, c.layers, c.heads, c.ff, c.dropout, steps, training.lr};
}

// "model transformer, hidden 64, layers 2, heads 4, ff 128, dropout 0.1, steps 2000, lr 0.003,
// batch 64": the start-up line's settings, formatted as the help's table formats them.
std::string settings_text(const std::string& kind, const ModelSettings& s, std::size_t batch);

// The start-up line: "settings: SETTINGS; data: N training, N validation, N test ITEMS".
std::string startup_line(const std::string& kind, const ModelSettings& s, std::size_t batch, std::size_t train,
                         std::size_t validation, std::size_t test, const std::string& items);

// How many items each split holds, for the start-up line.
struct SplitSizes {
  std::size_t train = 0, validation = 0, test = 0;
  std::string items;  // "pairs", "images"
  std::string rule;   // a user's file: how it was split (plan_split), "" for generated data
};

// settings_used, announced: with data (a run that trains or tests), the start-up line on stdout.
template <class Config>
ModelSettings announce_settings(const DefaultsTable& table, const Config& c, const ModelOverrides& o, bool loaded,
                                std::size_t batch, const std::optional<SplitSizes>& data) {
  const ModelSettings s = settings_used(table, c, o, loaded);
  if (data) fmt::print("{}\n", startup_line(c.kind, s, batch, data->train, data->validation, data->test, data->items));
  return s;
}

// The options given on the command line, by their long names ("--steps"), every option's value
// as the run sees it (typed, or its default), in --help's order, for the report's settings, and
// the command line itself (the saved run's, when resuming), which checkpoints keep.
class Given {
 public:
  using Values = std::vector<std::pair<std::string, std::string>>;
  explicit Given(std::set<std::string> names, Values values = {}, std::vector<std::string> args = {},
                 std::string program = "")
      : names_(std::move(names)), values_(std::move(values)), args_(std::move(args)), program_(std::move(program)) {}
  bool operator()(const std::string& name) const { return names_.count(name) > 0; }
  const Values& values() const { return values_; }
  const std::vector<std::string>& args() const { return args_; }
  const std::string& program() const { return program_; }

 private:
  std::set<std::string> names_;
  Values values_;
  std::vector<std::string> args_;
  std::string program_;
};

// One option's value for the report's settings: "128", or "128 (transformer's default)" when it
// was not given and `default_of` chose it.
template <class T>
std::pair<std::string, std::string> setting_value(const Given& given, const std::string& name, const T& value,
                                                  const std::string& default_of) {
  return {name, given(name) ? fmt::format("{}", value) : fmt::format("{} ({}'s default)", value, default_of)};
}

// The seven per-model options' values as a run uses them ("128", or "128 (transformer's default)"
// when not given), for the report's settings.
Given::Values model_setting_values(const std::string& kind, const ModelSettings& s, const Given& given);

// main's plumbing: parses the command line (printing --help or a parse error), then runs `run`;
// an exception becomes "PROGRAM: error: WHAT" on stderr and exit status 1 (Ctrl-C during
// training: its message and 130). With --resume CKPT the command line is the saved run's, plus
// this one's outputs (--checkpoint, --save-every, --save, --report, --no-report, --metrics-json,
// --samples, --profile, --detect-anomaly); any other option given must equal the saved run's,
// or the error names the option and both values. Standard output is
// made line-buffered first, so that when it is piped its lines keep their place among the
// progress lines on the unbuffered stderr.
int run_main(CLI::App& app, int argc, char** argv, const std::string& program,
             const std::function<int(const Given&)>& run);

}  // namespace examples
