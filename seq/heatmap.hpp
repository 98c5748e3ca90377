// Attention heatmaps a person opens in a browser: a self-contained SVG with the source tokens
// along the top, the output tokens down the side, and each cell shaded by its weight (the
// weight written in the cell, too, when it is large enough to read).
#pragma once

#include <string>
#include <vector>

namespace attograd::seq {

// weights[t][s]: how much output token t attended to source token s (rows may be shorter than
// the source, e.g. empty for a step without attention). Throws std::invalid_argument if the
// rows do not match the token lists.
std::string attention_heatmap_svg(const std::vector<std::vector<float>>& weights,
                                  const std::vector<std::string>& source_tokens,
                                  const std::vector<std::string>& output_tokens, const std::string& title = "");

// &, <, >, " and ' as XML entities, for text put into SVG or HTML.
std::string xml_escape(const std::string& text);

}  // namespace attograd::seq
