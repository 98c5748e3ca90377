// The attention explorer's page (examples/common/report): what the page's data says is what the
// model computed (weights quantised to a byte, masked cells apart from small weights), wrong
// tokens and wrong examples first, metrics under plain names with units, no network address, no
// way for a token to end the page's script, a size bound, and clear errors for bad views.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <attograd/attograd.hpp>

#include "../support/temp_dir.hpp"
#include "report.hpp"

using namespace attograd;
using Catch::Matchers::Contains;

namespace {

// The page's inline data, parsed back.
nlohmann::json page_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const auto from = html.find(open);
  REQUIRE(from != std::string::npos);
  const auto to = html.find("</script>", from);
  return nlohmann::json::parse(html.substr(from + open.size(), to - from - open.size()));
}

std::vector<int> unbase64(const std::string& text) {
  const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<int> out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    if (c == '=') break;
    bits = (bits << 6) | static_cast<std::uint32_t>(digits.find(c));
    if ((count += 6) >= 8) out.push_back(static_cast<int>((bits >> (count -= 8)) & 0xff));
  }
  return out;
}

// A (1, H, T, T) causal attention with softmax rows, as a GPT's layer returns.
Tensor causal_weights(std::size_t heads, std::size_t T) {
  const Tensor scores = randn({1, heads, T, T});
  const nn::AttentionMask mask = nn::Transformer::generate_square_subsequent_mask(T);
  return nn::functional::masked_softmax(scores, mask);
}

examples::ReportExample example(std::vector<std::string> output, std::vector<std::string> reference) {
  examples::ReportExample e;
  e.label = "test", e.input = "abc", e.output = std::move(output), e.reference = std::move(reference);
  return e;
}

}  // namespace

TEST_CASE("the page's weights are the model's, one byte each, masked cells apart from small weights") {
  manual_seed(1);
  const std::vector<Tensor> layers = {causal_weights(2, 5), causal_weights(2, 5), causal_weights(2, 5)};
  const std::vector<std::string> tokens = {"a", " ", "c", "\n", "e"};
  examples::Report report;
  examples::ReportExample e = example({"x"}, {});
  e.attention.push_back(examples::attention_view("causal self-attention", layers, tokens, tokens, true));
  report.examples.push_back(e);
  const nlohmann::json data = page_data(examples::report_html(report));
  const nlohmann::json& view = data["examples"][0]["attention"][0];
  CHECK(view["layers"] == 3);
  CHECK(view["heads"] == 2);
  CHECK(view["queries"][1] == "\u2423");  // a space is shown as ␣, a newline as ↵
  CHECK(view["keys"][3] == "\u21b5");
  const std::vector<int> bytes = unbase64(view["weights"].get<std::string>());
  REQUIRE(bytes.size() == 3u * 2 * 5 * 5);
  std::size_t i = 0;
  for (std::size_t l = 0; l < 3; ++l)
    for (std::size_t h = 0; h < 2; ++h)
      for (std::size_t q = 0; q < 5; ++q)
        for (std::size_t k = 0; k < 5; ++k, ++i) {
          if (k > q) {
            CHECK(bytes[i] == 255);
            continue;
          }
          const float w = layers[l].value()(0, h, q, k);
          CHECK(bytes[i] == static_cast<int>(std::lround(w * 254.0f)));
          CHECK(std::abs(bytes[i] / 254.0 - w) <= 0.5 / 254 + 1e-6);
        }
}

TEST_CASE("one-head views, shape errors name the shapes") {
  const Tensor w = softmax(randn({1, 3, 4}), -1);  // an RNN's map: (1, T, S)
  const examples::AttentionView v = examples::attention_view("attention", {w}, {"1", "2", "3"}, {"a", "b", "c", "d"});
  CHECK(v.weights.shape() == Shape{1, 1, 3, 4});
  CHECK_THROWS_WITH(examples::attention_view("cross", {w}, {"1", "2"}, {"a", "b", "c", "d"}),
                    Contains("weights of shape (1, 1, 3, 4) do not fit 2 query and 4 key tokens"));
  CHECK_THROWS_WITH(
      examples::attention_view("cross", {w, softmax(randn({1, 3, 5}), -1)}, {"1", "2", "3"}, {"a", "b", "c", "d"}),
      Contains("layers of shapes (1, 1, 3, 4) and (1, 1, 3, 5) differ"));
  CHECK_THROWS_WITH(examples::attention_view("cross", {randn({3, 4})}, {"1", "2", "3"}, {"a", "b", "c", "d"}),
                    Contains("a layer's weights have shape (3, 4)"));
  CHECK_THROWS_WITH(examples::attention_view("cross", {}, {}, {}), Contains("'cross': no layers"));
}

TEST_CASE("wrong examples come first and their wrong tokens are marked") {
  const std::vector<bool> right = {true, false, true, false, true};
  CHECK(examples::wrong_first(5, 10, [&](std::size_t i) { return right[i]; }) ==
        std::vector<std::size_t>{1, 3, 0, 2, 4});
  CHECK(examples::wrong_first(5, 3, [&](std::size_t i) { return right[i]; }) == std::vector<std::size_t>{1, 3, 0});
  examples::Report report;
  report.examples = {example({"1", "9", "7", "9"}, {"1", "9", "9", "7"}), example({"a", "b"}, {"a", "b", "c"}),
                     example({"a", "b", "c"}, {"a"}), example({"z"}, {"z"}), example({"q"}, {})};
  report.scored = 40, report.wrong = 3;
  const std::string html = examples::report_html(report);
  const nlohmann::json data = page_data(html);
  CHECK(data["examples"][0]["wrong"] == std::vector<int>{2, 3});
  CHECK(data["examples"][1]["wrong"] == std::vector<int>{1});  // too short: its last token is marked
  CHECK(data["examples"][2]["wrong"] == std::vector<int>{1, 2});
  CHECK(data["examples"][3]["wrong"].empty());
  CHECK(data["examples"][3]["right"] == true);
  CHECK(data["examples"][4]["right"] == true);  // nothing to score against
  CHECK_THAT(html, Contains("3 of the 40 held-out examples are wrong. Shown here: 3 wrong, then 2 right"));
}

TEST_CASE("the page names no network address, and no token can end its script") {
  examples::Report report;
  report.title = "t </script><script>alert(1)</script>";
  examples::ReportExample e = example({"</script>", "<!--"}, {"</script>", "<!--"});
  e.input = "</SCRIPT> & <b>";
  e.attention.push_back(examples::attention_view("a", {softmax(randn({1, 2, 2}), -1)}, e.output, e.output));
  report.examples.push_back(e);
  report.losses = {2.0, 1.0, 0.5};
  report.validation = {{3, 0.7}};
  const std::string html = examples::report_html(report);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  std::size_t scripts = 0;
  for (std::size_t at = html.find("</script>"); at != std::string::npos; at = html.find("</script>", at + 1)) ++scripts;
  CHECK(scripts == 2);  // the data's and the code's
  CHECK(html.find("<script>alert") == std::string::npos);
  CHECK(page_data(html)["examples"][0]["output"][0] == "</script>");  // the same string, read back
  CHECK(page_data(html)["examples"][0]["input"] == "</SCRIPT> & <b>");
}

TEST_CASE("metrics under plain names with units, in a fixed order, unknown keys as words") {
  const nlohmann::json metrics = {
      {"train_seconds", 12.5}, {"exact_match", 0.75},        {"task", "dates"},
      {"new_metric", 3},       {"validation_curve", {1, 2}}, {"compositional", {{"exact_match", 0.5}}}};
  const std::vector<examples::Metric> rows = examples::describe_metrics(metrics);
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].name == "task");
  CHECK(rows[0].value == "dates");
  CHECK((rows[1].name == "training time" && rows[1].value == "12.5000" && rows[1].unit == "s"));
  CHECK((rows[2].name == "exact match" && rows[2].unit == "fraction of the held-out outputs"));
  CHECK((rows[3].name == "new metric" && rows[3].value == "3"));
  CHECK((rows[4].name == "compositional: exact match" && rows[4].value == "0.5000"));
}

TEST_CASE("the loss chart is on a log scale with labelled decades, and survives zeros and NaN") {
  const std::string svg = examples::loss_curve_svg({3.0, 1.0, 0.2, 0.05}, {{2, 0.9}, {4, 0.1}});
  for (const char* label : {">0.01<", ">0.1<", ">1<", ">10<", ">0.5<", "validation loss", "training step", "log scale"})
    CHECK_THAT(svg, Contains(label));
  const std::string odd = examples::loss_curve_svg({0.0, std::nan(""), 1.0});
  CHECK_THAT(odd, Contains("<polyline"));
  CHECK(odd.find("nan") == std::string::npos);
  CHECK_THAT(examples::loss_curve_svg({}), Contains("no training steps"));
}

TEST_CASE("the settings list every option as used, resolved values in place of per-model defaults") {
  const examples::Given given({"--steps"}, {{"--steps", "10"}, {"--hidden", ""}, {"--seed", "1"}});
  const auto rows = examples::report_settings(given, {{"--hidden", "64 (transformer's default)"}, {"data", "a.tsv"}});
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == std::pair<std::string, std::string>{"--steps", "10"});
  CHECK(rows[1] == std::pair<std::string, std::string>{"--hidden", "64 (transformer's default)"});
  CHECK(rows[3] == std::pair<std::string, std::string>{"data", "a.tsv"});
}

TEST_CASE("a page stays small: past a budget, examples keep their text but not their attention") {
  manual_seed(2);
  examples::Report report;
  std::vector<std::string> tokens(64, "t");
  std::vector<Tensor> layers;
  for (int l = 0; l < 4; ++l) layers.push_back(causal_weights(4, 64));
  for (int i = 0; i < 40; ++i) {
    examples::ReportExample e = example(tokens, {});
    e.attention.push_back(examples::attention_view("causal self-attention", layers, tokens, tokens, true));
    report.examples.push_back(e);
  }
  const std::string html = examples::report_html(report);
  CHECK(html.size() <= 2'000'000);
  const nlohmann::json data = page_data(html);
  CHECK(data["examples"][0]["attention"].size() == 1);
  CHECK(data["examples"][39]["attention"].empty());
  CHECK(data["examples"][39]["attention_left_out"] == true);
}

TEST_CASE("write_report writes index.html atomically and names a directory it cannot create") {
  attograd::testing::TempDir dir("report");
  examples::Report report;
  report.title = "a title";
  const auto index = examples::write_report(dir.path / "run", report);
  CHECK(index == dir.path / "run" / "index.html");
  CHECK(std::filesystem::exists(index));
  CHECK_FALSE(std::filesystem::exists(dir.path / "run" / "index.html.tmp"));
  std::ofstream(dir.path / "file") << "x";
  CHECK_THROWS_WITH(examples::write_report(dir.path / "file" / "run", report),
                    Contains("--report: cannot create " + (dir.path / "file" / "run").string()));
}
