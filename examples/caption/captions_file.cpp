// read_captioned_images: a caption file and its folder of images, split like the generated tasks.
#include "captions_file.hpp"

#include <algorithm>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "image_io.hpp"
#include "vocabulary.hpp"

namespace caption {

FileSplits read_captioned_images(const std::filesystem::path& images, const std::filesystem::path& captions,
                                 const FileOptions& o) {
  if (!std::filesystem::is_directory(images))
    throw std::runtime_error(fmt::format("--images {}: not a directory", images.string()));
  FileSplits out;
  std::vector<Scene> all;
  examples::read_tsv_columns("--captions", captions, [&](std::size_t number, std::string file, std::string text) {
    Scene s;
    s.caption = examples::tokenize(text, examples::Tokens::Word);
    if (file.empty() || s.caption.empty()) {
      ++out.skipped_malformed;
      return;
    }
    try {
      s.image = resize_image(load_image(images / file), o.height, o.width);
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("--captions {} line {}: {}", captions.string(), number, e.what()));
    }
    s.word_object.assign(s.caption.size(), -1);
    all.push_back(std::move(s));
  });
  if (all.size() < 3)
    throw std::runtime_error(fmt::format(
        "--captions {}: only {} usable pairs ({} malformed lines without a tab or with an empty side); need at least 3",
        captions.string(), all.size(), out.skipped_malformed));
  std::mt19937_64 g(o.seed);
  std::shuffle(all.begin(), all.end(), g);
  const std::size_t held_out = std::max<std::size_t>(1, std::min(o.held_out, all.size() / 5));
  SceneSplits& d = out.splits;
  d.test.assign(std::make_move_iterator(all.end() - static_cast<std::ptrdiff_t>(held_out)),
                std::make_move_iterator(all.end()));
  all.resize(all.size() - held_out);
  d.validation.assign(std::make_move_iterator(all.end() - static_cast<std::ptrdiff_t>(held_out)),
                      std::make_move_iterator(all.end()));
  all.resize(all.size() - held_out);
  d.train = std::move(all);
  return out;
}

}  // namespace caption
