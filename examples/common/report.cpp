// loss_curve_svg, write_report, write_file_atomically.
#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/seq/heatmap.hpp>

namespace examples {

using attograd::seq::xml_escape;

std::string loss_curve_svg(const std::vector<double>& losses, const ValidationCurve& validation) {
  constexpr int W = 560, H = 220, pad = 40;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"monospace\" "
      "font-size=\"11\"><rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      W, H);
  if (losses.empty()) return svg + "<text x=\"10\" y=\"20\">no training steps</text></svg>\n";
  double hi = *std::max_element(losses.begin(), losses.end());
  double lo = std::min(0.0, *std::min_element(losses.begin(), losses.end()));
  for (const auto& [step, loss] : validation) hi = std::max(hi, loss), lo = std::min(lo, loss);
  const double span = hi - lo > 0 ? hi - lo : 1.0;
  const std::size_t n = losses.size(), stride = std::max<std::size_t>(1, n / 500);
  auto point = [&](std::size_t i, double loss) {  // step i + 1 (0-based i) -> "x,y"
    const double x = pad + (W - 2 * pad) * (n == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(n - 1));
    return fmt::format("{:.1f},{:.1f} ", x, H - pad - (H - 2 * pad) * (loss - lo) / span);
  };
  std::string points, validation_points;
  for (std::size_t i = 0; i < n; i += stride) points += point(i, losses[i]);
  for (const auto& [step, loss] : validation) validation_points += point(std::min(step, n) - 1, loss);
  svg += fmt::format("<polyline fill=\"none\" stroke=\"#1f4e9c\" stroke-width=\"1.5\" points=\"{}\"/>\n", points);
  if (!validation.empty())
    svg += fmt::format(
        "<polyline fill=\"none\" stroke=\"#d95f02\" stroke-width=\"2\" points=\"{}\"/>\n"
        "<text x=\"{}\" y=\"{}\" fill=\"#d95f02\">validation loss</text>\n",
        validation_points, W - pad - 120, pad - 10);
  svg += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"black\"/>\n", pad, H - pad, W - pad);
  svg += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"black\"/>\n", pad, pad, H - pad);
  svg += fmt::format("<text x=\"{}\" y=\"{}\">{:.3f}</text>\n", 2, pad + 4, hi);
  svg += fmt::format("<text x=\"{}\" y=\"{}\">{:.3f}</text>\n", 2, H - pad + 4, lo);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">step {}</text>\n", W - pad, H - pad + 16, n);
  svg += fmt::format("<text x=\"{}\" y=\"{}\">training loss</text>\n", pad, pad - 10);
  return svg + "</svg>\n";
}

std::vector<std::pair<std::string, std::string>> metric_rows(const nlohmann::json& metrics) {
  auto text = [](const nlohmann::json& value) {
    return value.is_number_float() ? fmt::format("{:.4f}", value.get<double>()) : value.dump();
  };
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& [name, value] : metrics.items())
    if (!value.is_array() && !value.is_object()) rows.emplace_back(name, text(value));
  for (const auto& [name, value] : metrics.items())
    if (value.is_object())
      for (const auto& [member, inner] : value.items()) rows.emplace_back(name + " " + member, text(inner));
  return rows;
}

void write_metrics_json(const std::filesystem::path& path, const nlohmann::json& metrics) {
  write_file_atomically(path, metrics.dump(2) + "\n");
  fmt::print("metrics: {}\n", path.string());
}

void write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot write {}: {}", path.string(), ec.message()));
}

std::filesystem::path write_report(const std::filesystem::path& dir, const Report& report) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("--report: cannot create {}: {}", dir.string(), ec.message()));
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title>\n<style>body{{font-family:"
      "sans-serif;margin:2em;max-width:70em}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;"
      "padding:4px 8px;vertical-align:top}} code{{font-family:monospace}}</style></head>\n<body>\n<h1>{0}</h1>\n",
      xml_escape(report.title));
  html += "<h2>Metrics</h2>\n<table>\n";
  for (const auto& [name, value] : report.metrics)
    html += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", xml_escape(name), xml_escape(value));
  html += "</table>\n<h2>Training loss</h2>\n" + loss_curve_svg(report.losses, report.validation);
  html +=
      "<h2>Held-out examples</h2>\n<table>\n<tr><th>source</th><th>reference</th><th>output</th><th>attention</th>"
      "</tr>\n";
  auto img = [](const std::string& file) {
    return fmt::format("<img src=\"{}\" alt=\"{}\">", xml_escape(file), xml_escape(file));
  };
  for (const ReportExample& e : report.examples) {
    const std::string source = !e.source.empty()     ? "<code>" + xml_escape(e.source) + "</code>"
                               : !e.pictures.empty() ? img(e.pictures.front())
                                                     : "";
    std::string attention = e.heatmap_svg;
    for (std::size_t i = 1; i < e.pictures.size(); ++i) attention += img(e.pictures[i]) + " ";
    html +=
        fmt::format("<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>\n", source,
                    xml_escape(e.reference), xml_escape(e.output), attention.empty() ? "(no attention)" : attention);
  }
  html += "</table>\n</body></html>\n";
  const std::filesystem::path index = dir / "index.html";
  write_file_atomically(index, html);
  return index;
}

}  // namespace examples
