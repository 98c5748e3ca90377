// attention_heatmap_svg: one <rect> per (output, source) cell, darker for more weight.
#include <attograd/seq/heatmap.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace attograd::seq {

std::string xml_escape(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string attention_heatmap_svg(const std::vector<std::vector<float>>& weights,
                                  const std::vector<std::string>& source_tokens,
                                  const std::vector<std::string>& output_tokens, const std::string& title) {
  if (weights.size() != output_tokens.size())
    throw std::invalid_argument(fmt::format("attention_heatmap_svg: {} rows of weights for {} output tokens",
                                            weights.size(), output_tokens.size()));
  for (std::size_t t = 0; t < weights.size(); ++t)
    if (!weights[t].empty() && weights[t].size() != source_tokens.size())
      throw std::invalid_argument(fmt::format("attention_heatmap_svg: row {} has {} weights for {} source tokens", t,
                                              weights[t].size(), source_tokens.size()));
  constexpr int cell = 28, left = 90, top = 90;
  const int width = left + cell * static_cast<int>(source_tokens.size()) + 20;
  const int height = top + cell * static_cast<int>(output_tokens.size()) + 20;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"monospace\" font-size=\"12\">\n",
      width, height, width, height);
  svg += fmt::format("<title>{}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
                     xml_escape(title.empty() ? "attention" : title));
  if (!title.empty()) svg += fmt::format("<text x=\"4\" y=\"14\" font-weight=\"bold\">{}</text>\n", xml_escape(title));
  for (std::size_t s = 0; s < source_tokens.size(); ++s) {  // source tokens, written upwards
    const int x = left + cell * static_cast<int>(s) + cell / 2 + 4, y = top - 6;
    svg += fmt::format("<text x=\"{}\" y=\"{}\" transform=\"rotate(-60 {} {})\">{}</text>\n", x, y, x, y,
                       xml_escape(source_tokens[s]));
  }
  for (std::size_t t = 0; t < output_tokens.size(); ++t) {
    const int y = top + cell * static_cast<int>(t);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left - 6, y + cell / 2 + 4,
                       xml_escape(output_tokens[t]));
    for (std::size_t s = 0; s < weights[t].size(); ++s) {
      const float w = std::clamp(weights[t][s], 0.0f, 1.0f);
      const int shade = static_cast<int>(std::lround(255.0 * (1.0 - w)));  // white (0) to dark blue (1)
      const int x = left + cell * static_cast<int>(s);
      svg += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},{},255)\" stroke=\"#ddd\"><title>{} → {}: "
          "{:.3f}</title></rect>\n",
          x, y, cell, cell, shade, shade, xml_escape(output_tokens[t]), xml_escape(source_tokens[s]), weights[t][s]);
      if (w >= 0.1f)
        svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"9\" fill=\"{}\">{:.0f}</text>\n",
                           x + cell / 2, y + cell / 2 + 3, w > 0.5f ? "white" : "black", 100.0f * w);
    }
  }
  return svg + "</svg>\n";
}

}  // namespace attograd::seq
