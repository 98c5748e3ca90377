// The caption example's data and pictures: the scene generators are reproducible, their splits
// disjoint, their captions and word-object links say what the pixels show; image files round-trip
// and bad ones fail with the file's name; resizing and the attention overlay behave.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <stb_image_write.h>
#include <catch2/catch.hpp>

#include "../support/temp_dir.hpp"
#include "captions_file.hpp"
#include "font.hpp"
#include "image_io.hpp"
#include "scenes.hpp"

using caption::Image;
using caption::Object;
using caption::Scene;
using Catch::Matchers::Contains;

namespace {

std::string joined(const std::vector<std::string>& words) {
  std::string s;
  for (const std::string& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

std::vector<const Scene*> all_of(const caption::SceneSplits& s) {
  std::vector<const Scene*> all;
  for (const auto* split : {&s.train, &s.validation, &s.test, &s.compositional})
    for (const Scene& scene : *split) all.push_back(&scene);
  return all;
}

// Reads a shapes caption back: "a <size> <colour> <shape> <position>" clauses joined by "and".
std::vector<Object> parse_shapes_caption(const std::vector<std::string>& words) {
  std::vector<Object> objects;
  std::size_t i = 0;
  while (i < words.size()) {
    if (!objects.empty()) REQUIRE(words[i++] == "and");
    REQUIRE(words.at(i++) == "a");
    Object o;
    o.size = words.at(i++), o.colour = words.at(i++), o.shape = words.at(i++);
    std::vector<std::string> position{words.at(i++)};
    while (i < words.size() && words[i] != "and") position.push_back(words[i++]);
    bool found = false;
    for (std::size_t r = 0; r < 3; ++r)
      for (std::size_t c = 0; c < 3; ++c)
        if (caption::position_words(r, c) == position) o.row = r, o.col = c, found = true;
    INFO(joined(position));
    REQUIRE(found);
    objects.push_back(o);
  }
  return objects;
}

bool looks(const std::string& colour, float r, float g, float b) {
  if (colour == "red") return r > 0.7f && g < 0.3f && b < 0.3f;
  if (colour == "green") return g > 0.6f && r < 0.3f && b < 0.4f;
  if (colour == "blue") return b > 0.7f && r < 0.4f && g < 0.5f;
  if (colour == "yellow") return r > 0.7f && g > 0.7f && b < 0.3f;
  if (colour == "purple") return r > 0.5f && b > 0.7f && g < 0.4f;
  if (colour == "white") return r > 0.85f && g > 0.85f && b > 0.85f;
  return false;
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

Image pattern(std::size_t C, std::size_t H, std::size_t W) {  // values on the 8-bit grid
  Image im{C, H, W, std::vector<float>(C * H * W)};
  for (std::size_t i = 0; i < im.pixels.size(); ++i) im.pixels[i] = static_cast<float>((i * 37 + 11) % 256) / 255.0f;
  return im;
}

std::vector<unsigned char> interleave(const Image& im) {  // (C, H, W) floats -> (H, W, C) bytes
  std::vector<unsigned char> out(im.pixels.size());
  for (std::size_t y = 0; y < im.height; ++y)
    for (std::size_t x = 0; x < im.width; ++x)
      for (std::size_t c = 0; c < im.channels; ++c)
        out[(y * im.width + x) * im.channels + c] = static_cast<unsigned char>(std::lround(im.at(c, y, x) * 255));
  return out;
}

float max_difference(const Image& a, const Image& b) {
  REQUIRE(a.channels == b.channels);
  REQUIRE(a.height == b.height);
  REQUIRE(a.width == b.width);
  float d = 0;
  for (std::size_t i = 0; i < a.pixels.size(); ++i) d = std::max(d, std::abs(a.pixels[i] - b.pixels[i]));
  return d;
}

}  // namespace

TEST_CASE("caption scenes: the same seed gives the same scenes, and no caption is in two splits", "[caption]") {
  const auto a = caption::make_scenes("shapes", 120, 30, 7), b = caption::make_scenes("shapes", 120, 30, 7);
  const auto other = caption::make_scenes("shapes", 120, 30, 8);
  REQUIRE(a.train.size() == 120);
  REQUIRE(a.validation.size() == 30);
  REQUIRE(a.test.size() == 30);
  REQUIRE(a.compositional.size() == 30);
  const auto sa = all_of(a), sb = all_of(b);
  for (std::size_t i = 0; i < sa.size(); ++i) {
    REQUIRE(sa[i]->caption == sb[i]->caption);
    REQUIRE(sa[i]->image.pixels == sb[i]->image.pixels);
  }
  CHECK(a.train[0].image.pixels != other.train[0].image.pixels);

  std::set<std::string> captions;
  for (const Scene* s : sa) captions.insert(joined(s->caption));
  CHECK(captions.size() == sa.size());

  const auto d = caption::make_scenes("digits", 60, 10, 3);
  CHECK(d.train.size() == 60);
  CHECK(d.compositional.empty());
  std::set<std::string> digit_captions;
  for (const Scene* s : all_of(d)) digit_captions.insert(joined(s->caption));
  CHECK(digit_captions.size() == 80);
}

TEST_CASE("caption scenes: held-out colour-shape pairs appear only in the compositional split", "[caption]") {
  const auto s = caption::make_scenes("shapes", 300, 40, 11);
  CHECK(caption::held_out_pairs().size() == 6);
  for (const auto* split : {&s.train, &s.validation, &s.test})
    for (const Scene& scene : *split)
      for (const Object& o : scene.objects) REQUIRE_FALSE(caption::is_held_out(o.colour, o.shape));
  for (const Scene& scene : s.compositional)
    REQUIRE(std::any_of(scene.objects.begin(), scene.objects.end(),
                        [](const Object& o) { return caption::is_held_out(o.colour, o.shape); }));
  // Every held-out pair is tested, and training still shows every colour and every shape.
  std::set<std::string> colours, shapes, novel;
  for (const Scene& scene : s.train)
    for (const Object& o : scene.objects) colours.insert(o.colour), shapes.insert(o.shape);
  for (const Scene& scene : s.compositional)
    for (const Object& o : scene.objects)
      if (caption::is_held_out(o.colour, o.shape)) novel.insert(o.colour + " " + o.shape);
  CHECK(colours.size() == 6);
  CHECK(shapes.size() == 4);
  CHECK(novel.size() == 6);
}

TEST_CASE("caption scenes: captions read back as the objects, in reading order, each word linked to its object",
          "[caption]") {
  const auto s = caption::make_scenes("shapes", 150, 20, 5);
  std::set<std::size_t> counts;
  for (const Scene* scene : all_of(s)) {
    INFO(joined(scene->caption));
    const std::vector<Object> parsed = parse_shapes_caption(scene->caption);
    REQUIRE(parsed.size() == scene->objects.size());
    counts.insert(parsed.size());
    for (std::size_t k = 0; k < parsed.size(); ++k) {
      const Object& o = scene->objects[k];
      CHECK(parsed[k].size == o.size);
      CHECK(parsed[k].colour == o.colour);
      CHECK(parsed[k].shape == o.shape);
      CHECK(parsed[k].row == o.row);
      CHECK(parsed[k].col == o.col);
      if (k > 0) CHECK(o.row * 3 + o.col > scene->objects[k - 1].row * 3 + scene->objects[k - 1].col);
      // The box lies inside its cell, at least a pixel from the cell's edge.
      CHECK(o.top >= o.row * 16 + 1);
      CHECK(o.bottom <= o.row * 16 + 15);
      CHECK(o.left >= o.col * 16 + 1);
      CHECK(o.right <= o.col * 16 + 15);
    }
    REQUIRE(scene->word_object.size() == scene->caption.size());
    for (std::size_t w = 0; w < scene->caption.size(); ++w) {
      const std::string& word = scene->caption[w];
      const int k = scene->word_object[w];
      if (word == "a" || word == "and" || word == "at" || word == "in" || word == "the") {
        CHECK(k == -1);
        continue;
      }
      REQUIRE(k >= 0);
      REQUIRE(static_cast<std::size_t>(k) < scene->objects.size());
      const Object& o = scene->objects[static_cast<std::size_t>(k)];
      const auto position = caption::position_words(o.row, o.col);
      CHECK((word == o.size || word == o.colour || word == o.shape ||
             std::find(position.begin(), position.end(), word) != position.end()));
    }
  }
  CHECK(counts == std::set<std::size_t>{1, 2, 3});

  CHECK(caption::position_words(0, 0) == std::vector<std::string>{"at", "top", "left"});
  CHECK(caption::position_words(0, 1) == std::vector<std::string>{"at", "top"});
  CHECK(caption::position_words(1, 1) == std::vector<std::string>{"in", "the", "center"});
  CHECK(caption::position_words(2, 2) == std::vector<std::string>{"at", "bottom", "right"});
  REQUIRE_THROWS_AS(caption::position_words(3, 0), std::invalid_argument);
}

TEST_CASE("caption scenes: the pixels show each object's colour and shape on a dark background", "[caption]") {
  const auto s = caption::make_scenes("shapes", 200, 10, 9);
  std::size_t squares = 0;
  for (const Scene& scene : s.train) {
    const Image& im = scene.image;
    REQUIRE(im.channels == 3);
    REQUIRE(im.height == 48);
    REQUIRE(im.width == 48);
    REQUIRE(im.pixels.size() == 3 * 48 * 48);
    REQUIRE(std::all_of(im.pixels.begin(), im.pixels.end(), [](float v) { return v >= 0 && v <= 1; }));
    std::vector<bool> covered(48 * 48, false);
    for (const Object& o : scene.objects) {
      INFO(o.size << " " << o.colour << " " << o.shape);
      const std::size_t extent = o.bottom - o.top, cy = (o.top + o.bottom) / 2, cx = (o.left + o.right) / 2;
      CHECK(extent == (o.size == "large" ? 12u : 8u));
      CHECK(o.right - o.left == extent);
      CHECK(looks(o.colour, im.at(0, cy, cx), im.at(1, cy, cx), im.at(2, cy, cx)));
      const auto lit = [&](std::size_t y, std::size_t x) {  // the background sums to at most 0.45
        return im.at(0, y, x) + im.at(1, y, x) + im.at(2, y, x) > 0.6f;
      };
      const bool top_corner = lit(o.top, o.left), bottom_corner = lit(o.bottom - 1, o.left);
      if (o.shape == "square") {
        ++squares;
        for (std::size_t y = o.top; y < o.bottom; ++y)
          for (std::size_t x = o.left; x < o.right; ++x)
            CHECK(looks(o.colour, im.at(0, y, x), im.at(1, y, x), im.at(2, y, x)));
      } else if (o.shape == "triangle") {
        CHECK_FALSE(top_corner);  // apex at the top
        CHECK(bottom_corner);     // base at the bottom
      } else {
        CHECK_FALSE(top_corner);  // circle and cross leave the corners dark
        CHECK_FALSE(bottom_corner);
      }
      for (std::size_t y = o.top; y < o.bottom; ++y)
        for (std::size_t x = o.left; x < o.right; ++x) covered[y * 48 + x] = true;
    }
    for (std::size_t y = 0; y < 48; ++y)
      for (std::size_t x = 0; x < 48; ++x)
        if (!covered[y * 48 + x])
          for (std::size_t c = 0; c < 3; ++c) REQUIRE(im.at(c, y, x) <= 0.15f + 1e-6f);
  }
  CHECK(squares > 10);
}

TEST_CASE("caption scenes: a digits strip draws exactly the digits its caption names", "[caption]") {
  const auto s = caption::make_scenes("digits", 40, 10, 2);
  for (const Scene* scene : all_of(s)) {
    const Image& im = scene->image;
    REQUIRE(im.channels == 3);
    REQUIRE(im.height == 16);
    REQUIRE(im.width == 80);
    REQUIRE(scene->caption.size() >= 3);
    REQUIRE(scene->caption.size() <= 5);
    REQUIRE(scene->objects.size() == scene->caption.size());
    for (std::size_t i = 0; i < im.height * im.width; ++i) {
      REQUIRE(im.pixels[i] == im.pixels[i + 16 * 80]);  // grey: three equal channels
      REQUIRE(im.pixels[i] == im.pixels[i + 2 * 16 * 80]);
    }
    std::size_t lit_total = 0;
    for (std::size_t i = 0; i < im.height * im.width; ++i) lit_total += im.pixels[i] > 0.5f;
    std::size_t ink_total = 0;
    for (std::size_t k = 0; k < scene->objects.size(); ++k) {
      const Object& o = scene->objects[k];
      REQUIRE(scene->caption[k] == o.shape);
      REQUIRE(scene->word_object[k] == static_cast<int>(k));
      CHECK(o.col == k);
      CHECK(o.left >= 16 * k);
      CHECK(o.right <= 16 * (k + 1));
      CHECK(o.bottom <= 16);
      CHECK(o.right - o.left == 10);
      CHECK(o.bottom - o.top == 14);
      // The lit pixels of the box are the glyph's, each font pixel a 2x2 block.
      std::size_t lit = 0;
      for (std::size_t y = o.top; y < o.bottom; ++y)
        for (std::size_t x = o.left; x < o.right; ++x) {
          const bool ink = caption::font::ink(o.shape[0], (y - o.top) / 2, (x - o.left) / 2);
          REQUIRE((im.at(0, y, x) > 0.5f) == ink);
          lit += ink;
        }
      CHECK(lit == 4 * caption::font::ink_count(o.shape[0]));
      ink_total += lit;
    }
    CHECK(lit_total == ink_total);  // nothing lit outside the digits
  }
  // Different digits draw differently.
  for (char a = '0'; a <= '9'; ++a)
    for (char b = static_cast<char>(a + 1); b <= '9'; ++b) {
      bool differ = false;
      for (std::size_t r = 0; r < 7; ++r)
        for (std::size_t c = 0; c < 5; ++c) differ |= caption::font::ink(a, r, c) != caption::font::ink(b, r, c);
      CHECK(differ);
    }
}

TEST_CASE("caption scenes: unknown tasks and empty sizes are rejected with a clear message", "[caption]") {
  REQUIRE_THROWS_WITH(caption::make_scenes("colours", 10, 5, 1),
                      Contains("unknown task 'colours'") && Contains("shapes, digits"));
  REQUIRE_THROWS_WITH(caption::make_scenes("shapes", 0, 5, 1), Contains("must be positive"));
  REQUIRE_THROWS_WITH(caption::make_scenes("digits", 10, 0, 1), Contains("must be positive"));
  CHECK(caption::scene_tasks() == std::vector<std::string>{"shapes", "digits"});
}

TEST_CASE("caption object_cells: the feature-grid cells an object's box overlaps", "[caption]") {
  Object o;
  o.top = 0, o.left = 0, o.bottom = 16, o.right = 16;
  CHECK(caption::object_cells(o, 3, 3, 48, 48) == std::vector<std::size_t>{0});
  CHECK(caption::object_cells(o, 6, 6, 48, 48) == std::vector<std::size_t>{0, 1, 6, 7});
  o.top = 10, o.bottom = 20, o.left = 30, o.right = 40;
  CHECK(caption::object_cells(o, 3, 3, 48, 48) == std::vector<std::size_t>{1, 2, 4, 5});
  CHECK(caption::object_cells(o, 1, 1, 48, 48) == std::vector<std::size_t>{0});
  // Uneven cover: 3 rows over 10 pixels split at 3.33 and 6.67.
  o.left = 0, o.right = 1;
  o.top = 2, o.bottom = 3;
  CHECK(caption::object_cells(o, 3, 1, 10, 10) == std::vector<std::size_t>{0});
  o.top = 3, o.bottom = 4;
  CHECK(caption::object_cells(o, 3, 1, 10, 10) == std::vector<std::size_t>{0, 1});
  o.top = 7, o.bottom = 10;
  CHECK(caption::object_cells(o, 3, 1, 10, 10) == std::vector<std::size_t>{2});
  o.bottom = 7;  // an empty box overlaps nothing
  CHECK(caption::object_cells(o, 3, 1, 10, 10).empty());
  REQUIRE_THROWS_AS(caption::object_cells(o, 0, 3, 48, 48), std::invalid_argument);
  // Every generated object overlaps its own cell of the 3x3 grid.
  for (const Scene& scene : caption::make_scenes("shapes", 30, 5, 4).train)
    for (const Object& obj : scene.objects)
      CHECK(caption::object_cells(obj, 3, 3, 48, 48) == std::vector<std::size_t>{obj.row * 3 + obj.col});
}

TEST_CASE("caption images: PNG, BMP, JPEG and PGM files load as RGB from 0 to 1", "[caption]") {
  attograd::testing::TempDir dir("caption_io");
  const Image rgb = pattern(3, 5, 7);

  caption::save_png(dir.path / "a.png", rgb);
  CHECK(max_difference(caption::load_image(dir.path / "a.png"), rgb) < 1e-6f);
  CHECK(caption::png_bytes(rgb).substr(1, 3) == "PNG");
  const std::string b64 = caption::png_base64(rgb);
  CHECK(b64.rfind("iVBORw0KGgo", 0) == 0);
  CHECK(b64.size() % 4 == 0);
  CHECK(b64.size() == (caption::png_bytes(rgb).size() + 2) / 3 * 4);

  const std::vector<unsigned char> bytes = interleave(rgb);
  REQUIRE(stbi_write_bmp((dir.path / "a.bmp").c_str(), 7, 5, 3, bytes.data()));
  CHECK(max_difference(caption::load_image(dir.path / "a.bmp"), rgb) < 1e-6f);

  Image smooth{3, 16, 16, std::vector<float>(3 * 16 * 16)};  // JPEG is lossy: a smooth picture, compared loosely
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t y = 0; y < 16; ++y)
      for (std::size_t x = 0; x < 16; ++x)
        smooth.at(c, y, x) =
            std::round(255.0f * (0.2f + (c == 0 ? 0.04f * static_cast<float>(x) : 0.03f * static_cast<float>(y)))) /
            255.0f;
  const std::vector<unsigned char> smooth_bytes = interleave(smooth);
  REQUIRE(stbi_write_jpg((dir.path / "a.jpg").c_str(), 16, 16, 3, smooth_bytes.data(), 95));
  CHECK(max_difference(caption::load_image(dir.path / "a.jpg"), smooth) < 0.08f);

  write_bytes(dir.path / "a.pgm", std::string("P5\n3 2\n255\n") + std::string("\x00\x40\x80\xc0\xff\x10", 6));
  const Image grey = caption::load_image(dir.path / "a.pgm");
  REQUIRE(grey.channels == 3);
  REQUIRE(grey.height == 2);
  REQUIRE(grey.width == 3);
  CHECK(grey.at(0, 0, 1) == Approx(64.0 / 255));
  CHECK(grey.at(1, 1, 1) == grey.at(0, 1, 1));
  CHECK(grey.at(2, 1, 1) == Approx(1.0));

  const Image one = pattern(1, 4, 3);  // grey PNG files load as three equal channels
  caption::save_png(dir.path / "grey.png", one);
  const Image three = caption::load_image(dir.path / "grey.png");
  REQUIRE(three.channels == 3);
  CHECK(three.at(2, 3, 2) == Approx(one.at(0, 3, 2)));

  REQUIRE_THROWS_WITH(caption::save_png(dir.path / "bad.png", Image{5, 2, 2, std::vector<float>(20)}),
                      Contains("bad.png") && Contains("1 to 4 channels"));
  REQUIRE_THROWS_WITH(caption::save_png(dir.path / "missing_dir" / "x.png", rgb), Contains("x.png"));
}

TEST_CASE("caption images: missing, empty, truncated and garbage files fail naming the file", "[caption]") {
  attograd::testing::TempDir dir("caption_bad");
  const std::string png = caption::png_bytes(pattern(3, 8, 8));
  const auto path = [&](const char* name) { return (dir.path / name).string(); };

  REQUIRE_THROWS_WITH(caption::load_image(path("nothing.png")),
                      Contains(path("nothing.png")) && Contains("does not exist"));
  write_bytes(path("empty.png"), "");
  REQUIRE_THROWS_WITH(caption::load_image(path("empty.png")), Contains(path("empty.png")) && Contains("empty"));
  write_bytes(path("truncated.png"), png.substr(0, 30));
  REQUIRE_THROWS_WITH(caption::load_image(path("truncated.png")), Contains(path("truncated.png")));
  write_bytes(path("half.png"), png.substr(0, png.size() / 2));
  REQUIRE_THROWS_WITH(caption::load_image(path("half.png")), Contains(path("half.png")) && Contains("corrupt"));
  write_bytes(path("garbage.jpg"), "this is not an image, only some text that happens to be in a file");
  REQUIRE_THROWS_WITH(caption::load_image(path("garbage.jpg")),
                      Contains(path("garbage.jpg")) && Contains("not a PNG, JPEG, BMP or PGM/PPM image"));
  REQUIRE_THROWS_WITH(caption::load_image(dir.path), Contains("is a directory"));
  write_bytes(path("zero.pgm"), "P5\n0 4\n255\n");
  REQUIRE_THROWS_WITH(caption::load_image(path("zero.pgm")), Contains(path("zero.pgm")));
}

TEST_CASE("caption images: resizing interpolates bilinearly and averages when shrinking", "[caption]") {
  Image ramp{1, 1, 4, {0.0f, 1.0f / 3, 2.0f / 3, 1.0f}};
  const Image up = caption::resize_image(ramp, 1, 8);
  REQUIRE(up.pixels.size() == 8);
  CHECK(up.pixels[0] == Approx(0.0f));
  CHECK(up.pixels[7] == Approx(1.0f));
  for (std::size_t i = 1; i < 7; ++i) CHECK(up.pixels[i] == Approx(((i + 0.5) / 2 - 0.5) / 3).margin(1e-6));

  Image long_ramp{1, 1, 8, {}};
  for (std::size_t i = 0; i < 8; ++i) long_ramp.pixels.push_back(static_cast<float>(i) / 7);
  const Image down = caption::resize_image(long_ramp, 1, 4);
  CHECK(down.pixels[1] == Approx(2.5 / 7));
  CHECK(down.pixels[2] == Approx(4.5 / 7));

  const Image square{2, 2, 2, {0.0f, 1.0f, 1.0f, 0.0f, 0.2f, 0.2f, 0.4f, 0.4f}};
  const Image dot = caption::resize_image(square, 1, 1);
  CHECK(dot.pixels[0] == Approx(0.5f));
  CHECK(dot.pixels[1] == Approx(0.3f));

  Image flat{3, 5, 7, std::vector<float>(3 * 5 * 7, 0.25f)};
  for (const auto& [h, w] : std::vector<std::pair<std::size_t, std::size_t>>{{3, 11}, {20, 2}, {1, 1}, {5, 7}}) {
    const Image r = caption::resize_image(flat, h, w);
    REQUIRE(r.channels == 3);
    REQUIRE(r.height == h);
    REQUIRE(r.width == w);
    for (float v : r.pixels) REQUIRE(v == Approx(0.25f));
  }
  const Image same = caption::resize_image(pattern(3, 5, 7), 5, 7);
  CHECK(max_difference(same, pattern(3, 5, 7)) < 1e-6f);
  REQUIRE_THROWS_WITH(caption::resize_image(flat, 0, 3), Contains("resize_image") && Contains("positive"));
  REQUIRE_THROWS_WITH(caption::resize_image(Image{3, 2, 2, {}}, 1, 1), Contains("holds 0 values"));
}

TEST_CASE("caption images: the attention overlay is hottest where the weight peaks, with the word below", "[caption]") {
  const Image grey{3, 12, 12, std::vector<float>(3 * 12 * 12, 0.5f)};
  std::vector<float> weights(9, 0.1f);
  weights[5] = 2.0f;  // row 1, column 2
  const Image out = caption::attention_overlay(grey, weights, 3, 3, "red");
  REQUIRE(out.channels == 3);
  REQUIRE(out.height == 12 * 4 + caption::overlay_text_height);
  REQUIRE(out.width == 48);

  std::vector<double> heat(9, 0);  // red minus blue, per 16x16 region of the enlarged picture
  for (std::size_t y = 0; y < 48; ++y)
    for (std::size_t x = 0; x < 48; ++x) heat[(y / 16) * 3 + x / 16] += out.at(0, y, x) - out.at(2, y, x);
  CHECK(std::max_element(heat.begin(), heat.end()) - heat.begin() == 5);
  // At the peak the picture turns yellow; far from it, it is only darkened.
  CHECK(out.at(0, 24, 40) > 0.7f);
  CHECK(out.at(1, 24, 40) > 0.7f);
  CHECK(out.at(2, 24, 40) < 0.4f);
  CHECK(out.at(2, 2, 2) < 0.5f);

  std::size_t white = 0;  // the strip is black but for the word, white
  for (std::size_t y = 48; y < out.height; ++y)
    for (std::size_t x = 0; x < 48; ++x) {
      const bool is_white = out.at(0, y, x) == 1.0f && out.at(1, y, x) == 1.0f && out.at(2, y, x) == 1.0f;
      REQUIRE((is_white || (out.at(0, y, x) == 0.0f && out.at(1, y, x) == 0.0f && out.at(2, y, x) == 0.0f)));
      white += is_white;
    }
  std::size_t expected = 0;
  for (char c : std::string("red")) expected += 4 * caption::font::ink_count(c);
  CHECK(white == expected);  // every glyph pixel a 2x2 block, none clipped

  // A grey picture, a scale of 1, all-zero weights: still a picture.
  const Image small = caption::attention_overlay(Image{1, 4, 6, std::vector<float>(24, 0.5f)},
                                                 std::vector<float>(2, 0.0f), 1, 2, "<eos>", 1);
  CHECK(small.height == 4 + caption::overlay_text_height);
  CHECK(small.width == 6);
  REQUIRE_THROWS_WITH(caption::attention_overlay(grey, std::vector<float>(8, 1.0f), 3, 3, "x"),
                      Contains("8 weights for a 3x3 grid"));
  REQUIRE_THROWS_WITH(caption::attention_overlay(grey, {1, -1, 1, 1}, 2, 2, "x"), Contains("weight 1 is -1"));
}

TEST_CASE("caption font and figures: glyphs for letters, digits and some punctuation, boxes otherwise", "[caption]") {
  using namespace caption::font;
  for (char c : std::string("abcdefghijklmnopqrstuvwxyz0123456789 <>-.'")) {
    INFO(c);
    CHECK(has_glyph(c));
    CHECK((c == ' ') == (ink_count(c) == 0));
  }
  CHECK(has_glyph('Q'));
  for (std::size_t r = 0; r < glyph_height; ++r)
    for (std::size_t k = 0; k < glyph_width; ++k) CHECK(ink('g', r, k) == ink('G', r, k));
  CHECK_FALSE(has_glyph('~'));
  CHECK(ink_count('~') == 2 * glyph_width + 2 * glyph_height - 4);  // an outlined box
  CHECK_FALSE(ink('~', 3, 2));
  CHECK(caption::text_width("ab", 2) == 22);

  const std::vector<Image> tiles{pattern(3, 2, 2), pattern(3, 2, 3), pattern(3, 1, 1)};
  const Image figure = caption::tile_images(tiles, 2, 1);
  CHECK(figure.height == 2 * 2 + 1);
  CHECK(figure.width == 2 * 3 + 1);
  CHECK(figure.at(1, 0, 4) == tiles[1].at(1, 0, 0));
  CHECK(figure.at(0, 3, 0) == tiles[2].at(0, 0, 0));
  REQUIRE_THROWS_AS(caption::tile_images({pattern(3, 2, 2), pattern(1, 2, 2)}, 2), std::invalid_argument);
}

// ---- pictures of any shape: --size, the folder's default size, letterboxing, augmentation ----

TEST_CASE("caption --size: HxW or one number, each side a multiple of 16, and errors name the values") {
  CHECK(caption::parse_image_size("32x128").height == 32);
  CHECK(caption::parse_image_size("32x128").width == 128);
  CHECK(caption::parse_image_size("32X64").width == 64);
  CHECK(caption::parse_image_size("48×96").width == 96);
  CHECK(caption::parse_image_size("48").height == 48);
  CHECK(caption::parse_image_size("48").width == 48);
  CHECK_THROWS_WITH(caption::parse_image_size("50x100"), Contains("--size 50x100: 50×100 will not do") &&
                                                             Contains("multiple of 16") &&
                                                             Contains("try --size 48x96"));
  CHECK_THROWS_WITH(caption::parse_image_size("8"), Contains("8×8 will not do") && Contains("try --size 16x16"));
  CHECK_THROWS_WITH(caption::parse_image_size("1024x32"), Contains("from 16 to 512") && Contains("try --size 512x32"));
  for (const std::string bad : {"", "x", "32x", "x32", "32by64", "-16x32", "+16", "32x64x96", "3.5x16"})
    CHECK_THROWS_WITH(caption::parse_image_size(bad),
                      Contains("--size " + bad + ": not a size") && Contains("HEIGHTxWIDTH"));
}

TEST_CASE("caption's default size follows the folder: its median height and aspect ratio, in steps of 16") {
  using caption::ImageSize;
  const ImageSize strips = caption::default_image_size({{24, 72}, {24, 96}, {24, 96}, {24, 120}, {23, 100}});
  CHECK(strips.height == 32);
  CHECK(strips.width == 128);
  CHECK(caption::folder_shape({{24, 72}, {24, 96}, {24, 96}, {24, 120}, {23, 100}}).height == 24.0);
  CHECK(caption::folder_shape({{24, 72}, {24, 96}, {24, 96}, {24, 120}, {23, 100}}).aspect == 4.0);
  const ImageSize photos = caption::default_image_size({{480, 640}, {600, 800}, {480, 640}});
  CHECK(photos.height == 48);
  CHECK(photos.width == 64);
  const ImageSize tall = caption::default_image_size({{200, 40}, {210, 40}});
  CHECK(tall.height == 48);
  CHECK(tall.width == 16);
  const ImageSize banners = caption::default_image_size({{20, 2000}});
  CHECK(banners.height == 16);
  CHECK(banners.width == 256);  // at most 256 wide
  CHECK(caption::default_image_size({}).height == 48);
}

TEST_CASE("caption letterboxing keeps a picture's proportions and pads with its border colour") {
  // A 10 x 40 white strip with a black square in the middle, into 32 x 32: scaled by 0.8 to 8 x 32,
  // rows 12 to 19, the rest white.
  Image strip{3, 10, 40, std::vector<float>(3 * 10 * 40, 1.0f)};
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t y = 3; y < 7; ++y)
      for (std::size_t x = 18; x < 22; ++x) strip.at(c, y, x) = 0.0f;
  const Image boxed = caption::fit_image(strip, 32, 32, caption::Fit::Letterbox);
  REQUIRE(boxed.height == 32);
  REQUIRE(boxed.width == 32);
  for (std::size_t y : {0u, 5u, 11u, 20u, 31u}) CHECK(boxed.at(0, y, 16) == Approx(1.0f));  // padding
  CHECK(boxed.at(0, 16, 16) < 0.3f);  // the square, still square-ish in the middle
  CHECK(boxed.at(0, 16, 4) == Approx(1.0f));
  const Image stretched = caption::fit_image(strip, 32, 32, caption::Fit::Stretch);
  CHECK(stretched.pixels == caption::resize_image(strip, 32, 32).pixels);
  CHECK(stretched.at(0, 11, 16) < 0.3f);  // stretched: the square now spans row 11, which letterboxing pads
  // The same shape: a plain resize either way.
  CHECK(caption::fit_image(strip, 16, 64, caption::Fit::Letterbox).pixels ==
        caption::resize_image(strip, 16, 64).pixels);
  CHECK_THROWS_WITH(caption::fit_from_name("crop"), Contains("unknown fit 'crop'") && Contains("letterbox or stretch"));
}

TEST_CASE("caption augmentation: small seeded variations that stay pictures of the same thing") {
  Image strip{3, 16, 64, std::vector<float>(3 * 16 * 64, 0.9f)};
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t y = 4; y < 12; ++y)
      for (std::size_t x = 28; x < 36; ++x) strip.at(c, y, x) = 0.1f;
  attograd::Generator g1(5), g2(5), g3(6);
  const Image a = caption::augment_image(strip, g1), b = caption::augment_image(strip, g2);
  CHECK(a.pixels == b.pixels);  // the same seed, the same variation
  CHECK(caption::augment_image(strip, g3).pixels != a.pixels);
  CHECK(a.pixels != strip.pixels);
  for (const float v : a.pixels) {
    CHECK(v >= 0.0f);
    CHECK(v <= 1.0f);
  }
  // Shifted by at most 1/16 of a side and scaled by at most 10 %: the dark square's centre stays dark.
  CHECK(a.at(0, 8, 32) < 0.45f);
  CHECK(a.at(0, 1, 4) > 0.55f);
}

TEST_CASE("caption folders of mixed shapes are sized from the folder, letterboxed and split as printed") {
  attograd::testing::TempDir dir("caption_mixed");
  std::ofstream tsv(dir.path / "captions.tsv");
  const std::pair<std::size_t, std::size_t> shapes[] = {{16, 48}, {24, 96}, {24, 96}, {32, 32}, {24, 72}};
  for (std::size_t i = 0; i < 25; ++i) {
    const auto [h, w] = shapes[i % 5];
    caption::save_png(dir.path / fmt::format("p{}.png", i), Image{3, h, w, std::vector<float>(3 * h * w, 0.5f)});
    tsv << fmt::format("p{}.png\tpicture number {}\n", i, i % 7);
  }
  tsv.close();
  caption::FileOptions o;
  o.split.val_fraction = 0.2, o.split.test_fraction = 0.12;
  const caption::FileSplits f = caption::read_captioned_images(dir.path, dir.path / "captions.tsv", o);
  CHECK(f.size.height == 32);  // median height 24, median aspect 3 (48/16, 96/24, 72/24 ...)
  CHECK(f.size.width == 96);
  CHECK_THAT(f.size_rule, Contains("32×96, from the folder: median height 24 px, median aspect ratio 3.00"));
  CHECK(f.splits.train.size() == 17);
  CHECK(f.splits.validation.size() == 5);
  CHECK(f.splits.test.size() == 3);
  CHECK_THAT(f.split_rule, Contains("25 usable images") && Contains("20 % validation (--val-fraction 0.2)") &&
                               Contains("12 % test (--test-fraction 0.12)"));
  for (const auto* split : {&f.splits.train, &f.splits.validation, &f.splits.test})
    for (const Scene& s : *split) {
      CHECK(s.image.height == 32);
      CHECK(s.image.width == 96);
    }
  // --size wins; --test brings its own test split from the same folder.
  std::ofstream(dir.path / "test.tsv") << "p0.png\tpicture number 0\np1.png\tpicture number 1\nno tab\n";
  o.size = {16, 64}, o.split.test_file = (dir.path / "test.tsv").string();
  const caption::FileSplits t = caption::read_captioned_images(dir.path, dir.path / "captions.tsv", o);
  CHECK(t.size_rule == "16×64 (--size)");
  CHECK(t.splits.test.size() == 2);
  CHECK(t.splits.train.size() + t.splits.validation.size() == 25);
  CHECK(t.skipped_malformed == 1);
  CHECK_THAT(t.split_rule, Contains("test from --test"));
  std::ofstream(dir.path / "no_usable.tsv") << "no tab on this line\n";
  o.split.test_file = (dir.path / "no_usable.tsv").string();
  CHECK_THROWS_WITH(caption::read_captioned_images(dir.path, dir.path / "captions.tsv", o),
                    Contains("--test ") && Contains("no_usable.tsv: no usable lines (filename<TAB>caption)"));
  std::ofstream(dir.path / "bad_test.tsv") << "p0.png\tpicture\nnot_there.png\tpicture\n";
  o.split.test_file = (dir.path / "bad_test.tsv").string();
  CHECK_THROWS_WITH(caption::read_captioned_images(dir.path, dir.path / "captions.tsv", o),
                    Contains("--test ") && Contains("bad_test.tsv line 2") && Contains("not_there.png"));
}
