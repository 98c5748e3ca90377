// A 5x7 bitmap font, drawn here by hand: the digits strips are written in it and the attention
// overlays label each picture with their word in it. Letters have one (capital) form for both
// cases; a character without a glyph draws as an outlined box, so it is visible, not skipped.
#pragma once

#include <cstddef>
#include <string_view>

namespace caption::font {

inline constexpr std::size_t glyph_width = 5, glyph_height = 7;

namespace detail {

// The font sheet: band b holds the characters chars[b], drawn side by side in sheet rows
// 7b .. 7b+6, each glyph 5 columns wide with one blank column between neighbours.
inline constexpr std::string_view chars[] = {"abcdefghijklm", "nopqrstuvwxyz", "0123456789", " <>-.'_:,!?/()"};
// clang-format off
inline constexpr std::string_view sheet[] = {
  // a     b     c     d     e     f     g     h     i     j     k     l     m
    ".###. ####. .###. ####. ##### ##### .###. #...# .###. ..### #...# #.... #...#",
    "#...# #...# #...# #...# #.... #.... #...# #...# ..#.. ...#. #..#. #.... ##.##",
    "#...# #...# #.... #...# #.... #.... #.... #...# ..#.. ...#. #.#.. #.... #.#.#",
    "##### ####. #.... #...# ####. ####. #.### ##### ..#.. ...#. ##... #.... #.#.#",
    "#...# #...# #.... #...# #.... #.... #...# #...# ..#.. ...#. #.#.. #.... #...#",
    "#...# #...# #...# #...# #.... #.... #...# #...# ..#.. #..#. #..#. #.... #...#",
    "#...# ####. .###. ####. ##### #.... .###. #...# .###. .##.. #...# ##### #...#",
  // n     o     p     q     r     s     t     u     v     w     x     y     z
    "#...# .###. ####. .###. ####. .#### ##### #...# #...# #...# #...# #...# #####",
    "#...# #...# #...# #...# #...# #.... ..#.. #...# #...# #...# #...# #...# ....#",
    "##..# #...# #...# #...# #...# #.... ..#.. #...# #...# #...# .#.#. .#.#. ...#.",
    "#.#.# #...# ####. #...# ####. .###. ..#.. #...# #...# #.#.# ..#.. ..#.. ..#..",
    "#..## #...# #.... #.#.# #.#.. ....# ..#.. #...# #...# #.#.# .#.#. ..#.. .#...",
    "#...# #...# #.... #..#. #..#. ....# ..#.. #...# .#.#. #.#.# #...# ..#.. #....",
    "#...# .###. #.... .##.# #...# ####. ..#.. .###. ..#.. .#.#. #...# ..#.. #####",
  // 0     1     2     3     4     5     6     7     8     9
    ".###. ..#.. .###. ##### ...#. ##### ..##. ##### .###. .###.",
    "#...# .##.. #...# ...#. ..##. #.... .#... ....# #...# #...#",
    "#..## ..#.. ....# ..#.. .#.#. ####. #.... ...#. #...# #...#",
    "#.#.# ..#.. ...#. ...#. #..#. ....# ####. ..#.. .###. .####",
    "##..# ..#.. ..#.. ....# ##### ....# #...# .#... #...# ....#",
    "#...# ..#.. .#... #...# ...#. #...# #...# .#... #...# ...#.",
    ".###. .###. ##### .###. ...#. .###. .###. .#... .###. .##..",
  // space <     >     -     .     '     _     :     ,     !     ?     /     (     )
    "..... ...#. .#... ..... ..... ..#.. ..... ..... ..... ..#.. .###. ..... ...#. .#...",
    "..... ..#.. ..#.. ..... ..... ..#.. ..... .##.. ..... ..#.. #...# ....# ..#.. ..#..",
    "..... .#... ...#. ..... ..... .#... ..... .##.. ..... ..#.. ....# ...#. .#... ...#.",
    "..... #.... ....# ##### ..... ..... ..... ..... ..... ..#.. ...#. ..#.. .#... ...#.",
    "..... .#... ...#. ..... ..... ..... ..... .##.. .##.. ..#.. ..#.. .#... .#... ...#.",
    "..... ..#.. ..#.. ..... .##.. ..... ..... .##.. ..#.. ..... ..... #.... ..#.. ..#..",
    "..... ...#. .#... ..... .##.. ..... ##### ..... .#... ..#.. ..#.. ..... ...#. .#...",
};
// clang-format on

constexpr bool sheet_is_consistent() {
  for (std::size_t r = 0; r < std::size(sheet); ++r)
    if (sheet[r].size() != chars[r / 7].size() * 6 - 1) return false;
  return std::size(sheet) == 7 * std::size(chars);
}
static_assert(sheet_is_consistent(), "every font band has 7 rows of 5-column glyphs");

struct Place {
  std::size_t band = 0, index = 0;
  bool found = false;
};

constexpr Place place(char c) {
  if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (std::size_t b = 0; b < std::size(chars); ++b)
    if (const std::size_t i = chars[b].find(c); i != std::string_view::npos) return {b, i, true};
  return {};
}

}  // namespace detail

constexpr bool has_glyph(char c) { return detail::place(c).found; }

// Whether pixel (row, col) of c's glyph is ink (row < 7, col < 5). Without a glyph: a box outline.
constexpr bool ink(char c, std::size_t row, std::size_t col) {
  if (row >= glyph_height || col >= glyph_width) return false;
  const detail::Place p = detail::place(c);
  if (!p.found) return row == 0 || row + 1 == glyph_height || col == 0 || col + 1 == glyph_width;
  return detail::sheet[p.band * glyph_height + row][p.index * (glyph_width + 1) + col] == '#';
}

// Ink pixels in c's glyph (tests compare drawn digits with it).
constexpr std::size_t ink_count(char c) {
  std::size_t n = 0;
  for (std::size_t r = 0; r < glyph_height; ++r)
    for (std::size_t k = 0; k < glyph_width; ++k) n += ink(c, r, k) ? 1 : 0;
  return n;
}

}  // namespace caption::font
