// read_captioned_images: a caption file and its folder of images, sized and split.
#include "captions_file.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "vocabulary.hpp"

namespace caption {

ImageSize parse_image_size(const std::string& text) {
  const std::size_t times = text.find("×");  // two bytes in UTF-8
  const std::size_t x = times != std::string::npos ? times : text.find_first_of("xX");
  auto side = [&](const std::string& part) -> std::size_t {
    std::size_t used = 0;
    unsigned long value = 0;
    try {
      value = std::stoul(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (part.empty() || used != part.size() || part[0] == '-' || part[0] == '+')
      throw std::invalid_argument(fmt::format(
          "--size {}: not a size; give HEIGHTxWIDTH in pixels (--size 32x128) or one number for a square", text));
    return value;
  };
  ImageSize s;
  if (x == std::string::npos) {
    s.height = s.width = side(text);
  } else {
    const std::size_t after = x == times ? x + std::string("×").size() : x + 1;
    s.height = side(text.substr(0, x)), s.width = side(text.substr(after));
  }
  auto round16 = [](std::size_t v) { return std::clamp<std::size_t>((v + 8) / 16 * 16, 16, 512); };
  if (s.height % 16 != 0 || s.width % 16 != 0 || s.height < 16 || s.width < 16 || s.height > 512 || s.width > 512)
    throw std::invalid_argument(
        fmt::format("--size {}: {}×{} will not do: each side must be a multiple of 16 from 16 to 512 (the encoder "
                    "pools four times by 2); try --size {}x{}",
                    text, s.height, s.width, round16(s.height), round16(s.width)));
  return s;
}

FolderShape folder_shape(const std::vector<ImageSize>& sizes) {
  if (sizes.empty()) return {};
  auto median = [](std::vector<double> v) {  // the upper one of an even count
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  std::vector<double> heights, aspects;
  for (const ImageSize& s : sizes) {
    heights.push_back(static_cast<double>(s.height));
    aspects.push_back(static_cast<double>(s.width) / static_cast<double>(s.height));
  }
  return {median(heights), median(aspects)};
}

ImageSize default_image_size(const std::vector<ImageSize>& sizes) {
  const FolderShape shape = folder_shape(sizes);
  auto multiple_of_16 = [](double v, double low, double high) {
    return static_cast<std::size_t>(std::clamp(16.0 * std::round(v / 16.0), low, high));
  };
  const std::size_t height = multiple_of_16(shape.height, 16, 48);
  return {height, multiple_of_16(static_cast<double>(height) * shape.aspect, 16, 256)};
}

namespace {

struct Line {
  std::size_t number = 0;
  std::string file;
  std::vector<std::string> caption;
};

// The usable lines of a caption file; malformed ones counted in `skipped`.
std::vector<Line> read_lines(const std::string& option, const std::filesystem::path& captions, std::size_t& skipped) {
  std::vector<Line> lines;
  examples::read_tsv_columns(option, captions, [&](std::size_t number, std::string file, std::string text) {
    Line l{number, std::move(file), examples::tokenize(text, examples::Tokens::Word)};
    if (l.file.empty() || l.caption.empty()) {
      ++skipped;
      return;
    }
    lines.push_back(std::move(l));
  });
  return lines;
}

std::vector<Scene> load_scenes(const std::string& option, const std::filesystem::path& images,
                               const std::filesystem::path& captions, const std::vector<Line>& lines, ImageSize size,
                               Fit fit) {
  std::vector<Scene> scenes;
  for (const Line& l : lines) {
    Scene s;
    s.caption = l.caption;
    try {
      s.image = fit_image(load_image(images / l.file), size.height, size.width, fit);
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("{} {} line {}: {}", option, captions.string(), l.number, e.what()));
    }
    s.word_object.assign(s.caption.size(), -1);
    scenes.push_back(std::move(s));
  }
  return scenes;
}

// The size to use, and the sentence that says where it came from.
std::pair<ImageSize, std::string> choose_size(const std::filesystem::path& images,
                                              const std::filesystem::path& captions, const std::vector<Line>& lines,
                                              const FileOptions& o) {
  if (o.size.height > 0) return {o.size, fmt::format("{}×{} (--size)", o.size.height, o.size.width)};
  std::vector<ImageSize> sizes;
  for (const Line& l : lines) try {
      const auto [h, w] = image_file_size(images / l.file);
      sizes.push_back({h, w});
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("--captions {} line {}: {}", captions.string(), l.number, e.what()));
    }
  const ImageSize chosen = default_image_size(sizes);
  const FolderShape shape = folder_shape(sizes);
  return {chosen, fmt::format("{}×{}, from the folder: median height {:.0f} px, median aspect ratio {:.2f} (--size "
                              "HxW to choose)",
                              chosen.height, chosen.width, shape.height, shape.aspect)};
}

}  // namespace

FileSplits read_captioned_images(const std::filesystem::path& images, const std::filesystem::path& captions,
                                 const FileOptions& o) {
  if (!std::filesystem::is_directory(images))
    throw std::runtime_error(fmt::format("--images {}: not a directory", images.string()));
  FileSplits out;
  const std::vector<Line> lines = read_lines("--captions", captions, out.skipped_malformed);
  std::tie(out.size, out.size_rule) = choose_size(images, captions, lines, o);
  std::vector<Scene> all = load_scenes("--captions", images, captions, lines, out.size, o.fit);  // each image checked
  if (lines.size() < 3)
    throw std::runtime_error(fmt::format(
        "--captions {}: only {} usable pairs ({} malformed lines without a tab or with an empty side); need at least 3",
        captions.string(), lines.size(), out.skipped_malformed));
  const examples::SplitPlan plan = examples::plan_split(lines.size(), o.split, "images");
  examples::Split<Scene> s = examples::split_items(std::move(all), plan, o.seed);
  SceneSplits& d = out.splits;
  d.train = std::move(s.train), d.validation = std::move(s.validation), d.test = std::move(s.test);
  if (!o.split.test_file.empty()) {
    const std::vector<Line> test = read_lines("--test", o.split.test_file, out.skipped_malformed);
    if (test.empty())
      throw std::runtime_error(fmt::format("--test {}: no usable lines (filename<TAB>caption)", o.split.test_file));
    d.test = load_scenes("--test", images, o.split.test_file, test, out.size, o.fit);
  }
  out.split_rule = plan.rule;
  return out;
}

}  // namespace caption
