// The pictures caption learns to describe, generated in-process from a seed. Every scene knows
// what it shows (each object's words and pixel box), so training needs no labelled data and the
// evaluation can ask whether attention looked at the object a word names.
//   shapes   48x48 RGB: one to three coloured shapes on a 3x3 grid of 16x16 cells, captioned
//            "a small red circle at top left and a large blue square in the center"
//   digits   16x80 grey strips of 3-5 digits in the built-in 5x7 font (scaled x2), one per
//            16-pixel slot from the left, captioned "3 1 4 1 5"
// Plain C++ on std::vector<float> (no attograd), so the generators compile fast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace caption {

struct Image {
  std::size_t channels = 3, height = 0, width = 0;
  std::vector<float> pixels;  // (C, H, W) row-major, values in [0, 1]

  float& at(std::size_t c, std::size_t y, std::size_t x) { return pixels[(c * height + y) * width + x]; }
  float at(std::size_t c, std::size_t y, std::size_t x) const { return pixels[(c * height + y) * width + x]; }
};

struct Object {
  // Its words (digits: shape is the digit, colour and size are empty), its grid cell (digits:
  // row 0, col = slot) and its pixel box, bottom and right exclusive.
  std::string colour, shape, size;
  std::size_t row = 0, col = 0;
  std::size_t top = 0, left = 0, bottom = 0, right = 0;
};

struct Scene {
  Image image;
  std::vector<std::string> caption;  // word tokens, lowercase
  std::vector<Object> objects;       // in caption order (reading order: row-major by cell)
  // Per caption word, the index into objects of the object it describes (its size, colour,
  // shape and position words), or -1 for the words that describe none (a, and, at, in, the).
  std::vector<int> word_object;
};

struct SceneSplits {
  // compositional: scenes with at least one colour-shape pair that train/validation/test never
  // show (the shapes task; empty for digits).
  std::vector<Scene> train, validation, test, compositional;
};

const std::vector<std::string>& scene_tasks();  // shapes, digits

// `train_size` training scenes and `held_out` scenes in each other split, no caption in two
// splits (a caption fixes the layout up to jitter). The shapes task leaves the pairs of
// held_out_pairs() out of train/validation/test; every compositional scene has at least one.
// Throws std::invalid_argument for an unknown task (listing the known ones) or a zero size.
SceneSplits make_scenes(const std::string& task, std::size_t train_size, std::size_t held_out, std::uint64_t seed);

// The shapes task's words, and the colour-shape pairs kept for the compositional split.
const std::vector<std::string>& shape_colours();                           // red green blue yellow purple white
const std::vector<std::string>& shape_kinds();                             // circle square triangle cross
const std::vector<std::pair<std::string, std::string>>& held_out_pairs();  // (colour, shape)
bool is_held_out(const std::string& colour, const std::string& shape);

// The position phrase of grid cell (row, col) of the 3x3 grid: "at top left" ... "in the center".
std::vector<std::string> position_words(std::size_t row, std::size_t col);

// The cells of a grid_h x grid_w feature grid laid evenly over an image_h x image_w image that
// overlap the object's pixel box, as row-major indices (row * grid_w + col), ascending. An
// attention peak on one of them is "grounded" on the object.
std::vector<std::size_t> object_cells(const Object& object, std::size_t grid_h, std::size_t grid_w, std::size_t image_h,
                                      std::size_t image_w);

}  // namespace caption
