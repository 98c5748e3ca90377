// A folder of images and a tab-separated caption file, read into the same splits the generated
// tasks give: lines "filename<TAB>caption" (extra columns ignored), each image decoded with
// stb_image (PNG, JPEG, BMP, PGM/PPM) and brought to the model's input size — letterboxed by
// default, so pictures of another shape keep their proportions. Without a size given, one is
// chosen from the folder: its typical height and aspect ratio (default_image_size).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "image_io.hpp"
#include "scenes.hpp"
#include "splits.hpp"

namespace caption {

struct ImageSize {
  std::size_t height = 0, width = 0;  // 0 × 0: not chosen yet
};

// --size: "HxW" ("32x128") or "N" (N × N). The encoder pools four times by 2, so each side must be
// a multiple of 16, from 16 to 512. Throws std::invalid_argument naming the text, the problem
// and the nearest sizes that would work.
ImageSize parse_image_size(const std::string& text);

// The size a folder's pictures are brought to when --size is not given: the median height
// rounded to a multiple of 16 (16 to 48), and that height times the median aspect ratio (width /
// height), rounded to a multiple of 16 (16 to 256). A folder of 24 × 96 strips gets 32 × 128 (a
// 2 × 8 feature grid); of 480 × 640 photographs, 48 × 64.
ImageSize default_image_size(const std::vector<ImageSize>& sizes);

// The folder's median height (pixels) and median aspect ratio (width / height), which
// default_image_size follows; {48, 1} for no pictures.
struct FolderShape {
  double height = 48, aspect = 1;
};
FolderShape folder_shape(const std::vector<ImageSize>& sizes);

struct FileOptions {
  ImageSize size;  // 0 × 0: default_image_size of the folder
  Fit fit = Fit::Letterbox;
  examples::SplitOptions split;  // --val-fraction, --test-fraction or --held-out, --test FILE
  std::uint64_t seed = 1;        // shuffles the pairs before the split
};

struct FileSplits {
  SceneSplits splits;  // objects and word_object are empty: a file says nothing about where things are
  std::size_t skipped_malformed = 0;
  ImageSize size;          // what every picture was brought to
  std::string size_rule;   // "32×128 (--size)" or "32×128, from the folder: median 24×96 …"
  std::string split_rule;  // examples::plan_split's rule
};

// Lowercases and splits the captions into words (punctuation split off). A line without a tab
// or with an empty side is counted and skipped. With --test FILE, the test split is that file's
// lines, whose images are in the same folder. Throws std::runtime_error naming the file (and
// the line) for an unreadable or empty caption file, a line that is not UTF-8, an image that
// is missing, unreadable, truncated or empty, or fewer than 3 usable pairs; std::invalid_argument
// for a split that leaves nothing to train on.
FileSplits read_captioned_images(const std::filesystem::path& images, const std::filesystem::path& captions,
                                 const FileOptions& options);

}  // namespace caption
