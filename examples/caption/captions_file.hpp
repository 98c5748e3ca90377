// A folder of images and a tab-separated caption file, read into the same splits the generated
// tasks give: lines "filename<TAB>caption" (extra columns ignored), each image decoded with
// stb_image (PNG, JPEG, BMP, PGM/PPM) and resized to the model's input.
#pragma once

#include <cstdint>
#include <filesystem>

#include "scenes.hpp"

namespace caption {

struct FileOptions {
  std::size_t height = 48, width = 48;  // every image is resized to this
  std::size_t held_out = 50;            // validation and test pairs each (at most 1/5 of the file each)
  std::uint64_t seed = 1;               // shuffles the pairs before the split
};

struct FileSplits {
  SceneSplits splits;  // objects and word_object are empty: a file says nothing about where things are
  std::size_t skipped_malformed = 0;
};

// Lowercases and splits the captions into words (punctuation split off). A line without a tab
// or with an empty side is counted and skipped. Throws std::runtime_error naming the file (and
// the line) for an unreadable or empty caption file, a line that is not UTF-8, an image that
// is missing, unreadable, truncated or empty, or fewer than 3 usable pairs.
FileSplits read_captioned_images(const std::filesystem::path& images, const std::filesystem::path& captions,
                                 const FileOptions& options);

}  // namespace caption
