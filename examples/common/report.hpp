// What the example programs write for people and machines: the attention explorer (one
// self-contained index.html per run: settings, metrics, the loss curve, held-out examples with the
// wrong ones first, and for the selected example a head view, a model view, a heatmap and, for a
// picture, its overlays), the loss curve as SVG, and a metrics JSON file, each written atomically.
//
// The page is built here from plain data (Report); its script and style (report_page.js and
// report_page.css beside this file) are compiled into the program, so the page needs no network,
// no server and no second file: it opens from file:// in any browser.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <attograd/attograd.hpp>

#include "cli.hpp"
#include "training.hpp"  // ValidationCurve

namespace examples {

// A line chart of the loss per step on a log scale (ticks at 1, 2 and 5 of each decade), with the
// validation curve over it (orange) when given.
std::string loss_curve_svg(const std::vector<double>& losses, const ValidationCurve& validation = {});

// One kind of attention in one example (an encoder's self-attention, a decoder's cross-attention,
// a GPT's causal self-attention): every layer's and head's weights between the same tokens.
struct AttentionView {
  std::string name;                        // "cross-attention", shown in the page's selector
  std::string query_title, key_title;      // axis titles: "output token", "source token"
  std::vector<std::string> queries, keys;  // the tokens of the rows and of the columns
  attograd::Tensor weights;                // (layers, heads, queries, keys); each row sums to 1
  bool causal = false;                     // a query sees only the keys up to its own position: the rest are masked
  std::string note;                        // said above the views, e.g. that an RNN's attention is one "head"
  bool over_picture = false;               // its keys are the picture's grid cells, row-major: drawn over it
};

// Every layer's self- or cross-attention as a view: `layers` [l] (1, H, Q, K) or (1, Q, K)
// (one head), from a Transformer's forward_with_attention. Tokens are shown as written, but a
// space, tab or newline as ␣, ⇥ or ↵, so it can be seen. Throws std::invalid_argument if the
// shapes disagree with each other or with the token lists.
AttentionView attention_view(std::string name, const std::vector<attograd::Tensor>& layers,
                             std::vector<std::string> queries, std::vector<std::string> keys, bool causal = false);

// Said on the page of an RNN model's attention: it has one layer and one head.
inline constexpr const char* one_head_note =
    "An RNN decoder's attention has one layer and one \"head\": every view below shows that one map.";

// One layer of a view averaged over its heads, [query][key]: what the SVG heatmaps and PNG
// overlays written beside the page show (the page itself shows every head).
std::vector<std::vector<float>> head_mean(const AttentionView& view, std::size_t layer);

struct ReportExample {
  std::string label;                            // "test 12", "your sentence"
  std::string input;                            // the source, the prompt; empty for a picture
  std::vector<std::string> output;              // the model's tokens
  std::vector<std::string> reference;           // the expected tokens; empty: nothing to score against
  std::string joiner;                           // how tokens are joined for display ("" chars, " " words)
  std::vector<AttentionView> attention;         // empty for a model without attention
  std::string image_png;                        // captioning: the picture (PNG bytes), under its overlays
  std::size_t grid_height = 0, grid_width = 0;  // captioning: the grid the attention's keys cover
  // Whether the output is the reference (true when there is no reference).
  bool right() const { return reference.empty() || output == reference; }
};

struct Metric {
  std::string name, value, unit;  // "exact match", "0.9930", "fraction of the test pairs"
};

struct Report {
  std::string title;                                          // "translate: dates with Bahdanau attention"
  std::vector<std::pair<std::string, std::string>> settings;  // every option as used, then data and splits
  std::vector<Metric> metrics;
  std::vector<double> losses;  // one a training step
  ValidationCurve validation;  // empty: the chart shows the training loss only
  std::string loss_unit = "cross-entropy, nats per token";
  std::vector<ReportExample> examples;  // in the order shown: put the wrong ones first
  std::size_t scored = 0, wrong = 0;    // over the whole held-out split (the examples are a few)
};

// The report's metrics under plain names with units, from a metrics JSON object: each number
// (and each member of a nested object, named "NAME: MEMBER"); arrays (curves) are left to the JSON.
std::vector<Metric> describe_metrics(const nlohmann::json& metrics);

// The settings a run used: every option of the command line with its value (given or default),
// the model's resolved sizes in place of the per-model ones, then `extra` (data source, splits).
std::vector<std::pair<std::string, std::string>> report_settings(
    const Given& given, const std::vector<std::pair<std::string, std::string>>& extra);

// The rows translate and caption add to report_settings: the model's seven per-model values,
// `extra`, the data source, the split sizes (when there is data) and the parameter count.
Given::Values run_settings(const Given& given, const std::string& kind, const ModelSettings& settings,
                           Given::Values extra, const std::string& data, const SplitSizes& splits,
                           std::size_t parameters);

// The examples to show out of `count` scored ones: every wrong one first, then right ones, at most
// `limit` in all, each part in its original order. `right(i)` says whether example i was right.
std::vector<std::size_t> wrong_first(std::size_t count, std::size_t limit,
                                     const std::function<bool(std::size_t)>& right);

// Writes dir/index.html (creating dir); returns its path. Throws std::runtime_error naming the
// path if it cannot; a half-written page is never left behind.
std::filesystem::path write_report(const std::filesystem::path& dir, const Report& report);

// write_report, then "report: DIR/index.html (open it in a browser)" on stdout.
void publish_report(const std::filesystem::path& dir, const Report& report);

// The page itself (what write_report writes).
std::string report_html(const Report& report);

// --metrics-json: the metrics as one JSON object, then "metrics: PATH".
void write_metrics_json(const std::filesystem::path& path, const nlohmann::json& metrics);

// Writes `text` to `path` through a temporary file and a rename, so a reader never sees half a
// file. Throws std::runtime_error naming the path.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace examples
