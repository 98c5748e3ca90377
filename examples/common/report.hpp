// What the example programs write for people and machines: a loss curve (SVG), an HTML report
// (self-contained: no network, no JavaScript) and a metrics JSON file, each written atomically.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace examples {

// (step, loss) points of a validation curve, step 1-based as the training loss's.
using ValidationCurve = std::vector<std::pair<std::size_t, double>>;

// A line chart of the loss per step, and the validation curve over it (orange) when given.
std::string loss_curve_svg(const std::vector<double>& losses, const ValidationCurve& validation = {});

struct ReportExample {
  std::string source, reference, output;
  std::string heatmap_svg;  // inline; empty for a model without attention
  // Image files in the report's folder (captioning: the input, then one attention overlay per
  // word), shown in the attention column; the first one also stands for an empty source.
  std::vector<std::string> pictures;
};

struct Report {
  std::string title;
  std::vector<std::pair<std::string, std::string>> metrics;  // name, value as text, in order
  std::vector<double> losses;
  ValidationCurve validation;  // empty: the chart shows the training loss only
  std::vector<ReportExample> examples;
};

// Writes dir/index.html (creating dir); returns its path.
std::filesystem::path write_report(const std::filesystem::path& dir, const Report& report);

// The report's metric rows: each number of `metrics` (floats with 4 decimals), and the members of
// a nested object as "NAME MEMBER"; arrays (curves) are left to the metrics JSON.
std::vector<std::pair<std::string, std::string>> metric_rows(const nlohmann::json& metrics);

// --metrics-json: the metrics as one JSON object, then "metrics: PATH".
void write_metrics_json(const std::filesystem::path& path, const nlohmann::json& metrics);

// Writes `text` to `path` through a temporary file and a rename, so a reader never sees half a
// file. Throws std::runtime_error naming the path.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace examples
