// The scene generators: a layout (which objects, where) is drawn from the seed first and
// deduplicated by its caption; only the layouts kept are rendered, each with its own noise seed,
// so rejected duplicates cost no pixels and the splits stay reproducible.
#include "scenes.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "font.hpp"

namespace caption {

namespace {

// std::mt19937_64's output is fixed by the standard; its distributions are not, so ours are here.
using Rng = std::mt19937_64;
double uniform(Rng& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }  // [0, 1)
std::size_t below(Rng& g, std::size_t n) {                                     // [0, n)
  return std::min(n - 1, static_cast<std::size_t>(uniform(g) * static_cast<double>(n)));
}
int between(Rng& g, int lo, int hi) {  // [lo, hi]
  return lo + static_cast<int>(below(g, static_cast<std::size_t>(hi - lo + 1)));
}

constexpr float background = 0.1f, noise = 0.05f;  // dark, with +-0.05 of uniform noise per value

struct Layout {
  std::vector<Object> objects;
  std::uint64_t noise_seed = 0;
};

void add_noise(Image& image, std::uint64_t seed, bool grey) {
  Rng g(seed);
  const std::size_t plane = image.height * image.width;
  for (std::size_t i = 0; i < plane; ++i) {
    float n = 0;
    for (std::size_t c = 0; c < image.channels; ++c) {
      if (c == 0 || !grey) n = static_cast<float>(2 * uniform(g) - 1) * noise;
      float& v = image.pixels[c * plane + i];
      v = std::clamp(v + n, 0.0f, 1.0f);
    }
  }
}

// ---- shapes ------------------------------------------------------------------------------------

constexpr std::size_t cell = 16, grid = 3, side = cell * grid;  // 48x48 pixels, 3x3 cells
constexpr std::size_t large_extent = 12, small_extent = 8;      // most of a cell, about half

struct Rgb {
  float r, g, b;
};
const Rgb palette[] = {{0.9f, 0.15f, 0.15f}, {0.15f, 0.8f, 0.2f},   {0.2f, 0.35f, 0.95f},
                       {0.95f, 0.9f, 0.15f}, {0.65f, 0.25f, 0.85f}, {0.95f, 0.95f, 0.95f}};  // as shape_colours()

Rgb colour_of(const std::string& name) {
  const auto& names = shape_colours();
  return palette[static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin())];
}

// Whether pixel (y, x) of an e x e box belongs to the shape, judged at the pixel's centre.
bool inside(const std::string& shape, std::size_t y, std::size_t x, std::size_t e) {
  const double u = (static_cast<double>(x) + 0.5) / static_cast<double>(e) - 0.5;  // -0.5 .. 0.5
  const double v = (static_cast<double>(y) + 0.5) / static_cast<double>(e) - 0.5;
  if (shape == "circle") return u * u + v * v <= 0.25;
  if (shape == "triangle") return std::abs(u) <= (v + 0.5) / 2;  // apex at the top, base at the bottom
  if (shape == "cross") return std::abs(u) < 0.2 || std::abs(v) < 0.2;
  return true;  // square
}

const std::vector<std::pair<std::string, std::string>>& seen_pairs() {  // the 18 pairs IID scenes use
  static const auto pairs = [] {
    std::vector<std::pair<std::string, std::string>> p;
    for (const std::string& c : shape_colours())
      for (const std::string& s : shape_kinds())
        if (!is_held_out(c, s)) p.emplace_back(c, s);
    return p;
  }();
  return pairs;
}

Layout shapes_layout(Rng& g, bool compositional) {
  const std::size_t n = 1 + below(g, 3);
  std::vector<std::size_t> cells(grid * grid);
  for (std::size_t i = 0; i < cells.size(); ++i) cells[i] = i;
  for (std::size_t i = 0; i < n; ++i) std::swap(cells[i], cells[i + below(g, cells.size() - i)]);  // partial shuffle
  cells.resize(n);
  std::sort(cells.begin(), cells.end());                       // reading order
  const std::size_t forced = compositional ? below(g, n) : n;  // the object that takes a held-out pair

  Layout l;
  for (std::size_t k = 0; k < n; ++k) {
    std::pair<std::string, std::string> pair;  // (colour, shape)
    if (k == forced)
      pair = held_out_pairs()[below(g, held_out_pairs().size())];
    else if (compositional)  // the other objects of a compositional scene: any pair
      pair = {shape_colours()[below(g, shape_colours().size())], shape_kinds()[below(g, shape_kinds().size())]};
    else
      pair = seen_pairs()[below(g, seen_pairs().size())];
    Object o;
    o.colour = pair.first, o.shape = pair.second, o.size = below(g, 2) == 0 ? "small" : "large";
    o.row = cells[k] / grid, o.col = cells[k] % grid;
    const std::size_t extent = o.size == "large" ? large_extent : small_extent;
    const int margin = static_cast<int>((cell - extent) / 2), jitter = std::min(2, margin - 1);  // 1 px from the edge
    o.top = o.row * cell + static_cast<std::size_t>(margin + between(g, -jitter, jitter));
    o.left = o.col * cell + static_cast<std::size_t>(margin + between(g, -jitter, jitter));
    o.bottom = o.top + extent, o.right = o.left + extent;
    l.objects.push_back(o);
  }
  l.noise_seed = g();
  return l;
}

Image render_shapes(const Layout& l) {
  Image im{3, side, side, std::vector<float>(3 * side * side, background)};
  for (const Object& o : l.objects) {
    const Rgb c = colour_of(o.colour);
    for (std::size_t y = o.top; y < o.bottom; ++y)
      for (std::size_t x = o.left; x < o.right; ++x)
        if (inside(o.shape, y - o.top, x - o.left, o.bottom - o.top))
          im.at(0, y, x) = c.r, im.at(1, y, x) = c.g, im.at(2, y, x) = c.b;
  }
  add_noise(im, l.noise_seed, false);
  return im;
}

// "a small red circle at top left and a large blue square in the center"
void caption_shapes(Scene& s) {
  for (std::size_t k = 0; k < s.objects.size(); ++k) {
    const Object& o = s.objects[k];
    auto say = [&](const std::string& word, bool describes) {
      s.caption.push_back(word);
      s.word_object.push_back(describes ? static_cast<int>(k) : -1);
    };
    if (k > 0) say("and", false);
    say("a", false), say(o.size, true), say(o.colour, true), say(o.shape, true);
    for (const std::string& w : position_words(o.row, o.col)) say(w, w != "at" && w != "in" && w != "the");
  }
}

// ---- digits ------------------------------------------------------------------------------------

constexpr std::size_t strip_height = 16, strip_width = 80, slot = 16, digit_scale = 2;
constexpr std::size_t digit_width = font::glyph_width * digit_scale, digit_height = font::glyph_height * digit_scale;
constexpr float digit_ink = 0.9f;

Layout digits_layout(Rng& g) {
  Layout l;
  const std::size_t n = 3 + below(g, 3);
  for (std::size_t i = 0; i < n; ++i) {
    Object o;  // no colour or size
    o.shape = std::string(1, static_cast<char>('0' + below(g, 10)));
    o.row = 0, o.col = i;
    o.top = static_cast<std::size_t>(static_cast<int>(strip_height - digit_height) / 2 + between(g, -1, 1));
    o.left = i * slot + static_cast<std::size_t>(static_cast<int>(slot - digit_width) / 2 + between(g, -2, 2));
    o.bottom = o.top + digit_height, o.right = o.left + digit_width;
    l.objects.push_back(o);
  }
  l.noise_seed = g();
  return l;
}

Image render_digits(const Layout& l) {
  Image im{3, strip_height, strip_width, std::vector<float>(3 * strip_height * strip_width, background)};
  for (const Object& o : l.objects)
    for (std::size_t y = o.top; y < o.bottom; ++y)
      for (std::size_t x = o.left; x < o.right; ++x)
        if (font::ink(o.shape[0], (y - o.top) / digit_scale, (x - o.left) / digit_scale))
          for (std::size_t c = 0; c < 3; ++c) im.at(c, y, x) = digit_ink;
  add_noise(im, l.noise_seed, true);
  return im;
}

void caption_digits(Scene& s) {
  for (std::size_t k = 0; k < s.objects.size(); ++k)
    s.caption.push_back(s.objects[k].shape), s.word_object.push_back(static_cast<int>(k));
}

// ---- splits ------------------------------------------------------------------------------------

// What a caption says: two layouts with the same key differ only by jitter and noise.
std::string key(const Layout& l) {
  std::string k;
  for (const Object& o : l.objects) k += fmt::format("{} {} {} {} {};", o.size, o.colour, o.shape, o.row, o.col);
  return k;
}

Scene render(const Layout& l, bool digits) {
  Scene s;
  s.objects = l.objects;
  s.image = digits ? render_digits(l) : render_shapes(l);
  if (digits)
    caption_digits(s);
  else
    caption_shapes(s);
  return s;
}

}  // namespace

const std::vector<std::string>& scene_tasks() {
  static const std::vector<std::string> names{"shapes", "digits"};
  return names;
}

const std::vector<std::string>& shape_colours() {
  static const std::vector<std::string> names{"red", "green", "blue", "yellow", "purple", "white"};
  return names;
}

const std::vector<std::string>& shape_kinds() {
  static const std::vector<std::string> names{"circle", "square", "triangle", "cross"};
  return names;
}

// One pair per colour, each shape still seen in training with four or five colours.
const std::vector<std::pair<std::string, std::string>>& held_out_pairs() {
  static const std::vector<std::pair<std::string, std::string>> pairs{{"red", "triangle"},  {"green", "circle"},
                                                                      {"blue", "cross"},    {"yellow", "square"},
                                                                      {"purple", "circle"}, {"white", "triangle"}};
  return pairs;
}

bool is_held_out(const std::string& colour, const std::string& shape) {
  const auto& p = held_out_pairs();
  return std::find(p.begin(), p.end(), std::pair{colour, shape}) != p.end();
}

std::vector<std::string> position_words(std::size_t row, std::size_t col) {
  if (row >= grid || col >= grid)
    throw std::invalid_argument(fmt::format("position_words: cell ({}, {}) is outside the 3x3 grid", row, col));
  if (row == 1 && col == 1) return {"in", "the", "center"};
  std::vector<std::string> words{"at"};
  if (row != 1) words.push_back(row == 0 ? "top" : "bottom");
  if (col != 1) words.push_back(col == 0 ? "left" : "right");
  return words;
}

std::vector<std::size_t> object_cells(const Object& o, std::size_t grid_h, std::size_t grid_w, std::size_t image_h,
                                      std::size_t image_w) {
  if (grid_h == 0 || grid_w == 0 || image_h == 0 || image_w == 0)
    throw std::invalid_argument(fmt::format("object_cells: the grid ({}x{}) and the image ({}x{}) must not be empty",
                                            grid_h, grid_w, image_h, image_w));
  // Grid row i covers image rows [i * H / grid_h, (i + 1) * H / grid_h): compare multiplied out.
  std::vector<std::size_t> cells;
  if (o.top >= o.bottom || o.left >= o.right) return cells;
  for (std::size_t i = 0; i < grid_h; ++i)
    for (std::size_t j = 0; j < grid_w; ++j)
      if (o.top * grid_h < (i + 1) * image_h && o.bottom * grid_h > i * image_h &&
          o.left * grid_w < (j + 1) * image_w && o.right * grid_w > j * image_w)
        cells.push_back(i * grid_w + j);
  return cells;
}

SceneSplits make_scenes(const std::string& task, std::size_t train_size, std::size_t held_out, std::uint64_t seed) {
  const auto& tasks = scene_tasks();
  if (std::find(tasks.begin(), tasks.end(), task) == tasks.end())
    throw std::invalid_argument(
        fmt::format("--task: unknown task '{}'; choose one of: {}", task, fmt::join(tasks, ", ")));
  if (train_size == 0 || held_out == 0)
    throw std::invalid_argument(fmt::format(
        "make_scenes: the training and held-out sizes must be positive (got {} and {})", train_size, held_out));
  const bool digits = task == "digits";
  Rng g(seed);
  std::set<std::string> seen;
  auto draw = [&](std::size_t wanted, bool compositional) {
    std::vector<Layout> kept;
    for (std::size_t tries = 0; kept.size() < wanted && tries < 50 * wanted; ++tries) {
      Layout l = digits ? digits_layout(g) : shapes_layout(g, compositional);
      if (seen.insert(key(l)).second) kept.push_back(std::move(l));
    }
    if (kept.size() < wanted)
      throw std::invalid_argument(
          fmt::format("--task {}: found only {} distinct scenes for the {} asked for", task, kept.size(), wanted));
    return kept;
  };

  std::vector<Layout> iid = draw(train_size + 2 * held_out, false);
  for (std::size_t i = iid.size(); i > 1; --i) std::swap(iid[i - 1], iid[below(g, i)]);  // shuffle
  const std::vector<Layout> compositional = digits ? std::vector<Layout>{} : draw(held_out, true);

  SceneSplits s;
  for (std::size_t i = 0; i < iid.size(); ++i)
    (i < train_size ? s.train : i < train_size + held_out ? s.validation : s.test).push_back(render(iid[i], digits));
  for (const Layout& l : compositional) s.compositional.push_back(render(l, digits));
  return s;
}

}  // namespace caption
