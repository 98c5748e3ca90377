// Pictures in and out of caption: loading a user's image (PNG, JPEG, BMP, PGM/PPM through
// Debian's stb), resizing it for the encoder, writing PNGs atomically, and the "Show, Attend and
// Tell" figure: a picture with one word's attention laid over it as heat, the word written below.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <attograd/core/random.hpp>

#include "scenes.hpp"

namespace caption {

// An RGB image (C = 3, grey files replicated) with values in [0, 1]. Throws std::runtime_error
// naming the file and what is wrong: missing, unreadable, empty, not a decodable image (with
// stb's reason), or without pixels.
Image load_image(const std::filesystem::path& path);

// Resampled to height x width, any channel count: bilinear at pixel centres, widened to a
// triangle filter over every covered input pixel when shrinking (so shrinking averages areas).
Image resize_image(const Image& image, std::size_t height, std::size_t width);

// The pixel size of an image file, from its header (nothing decoded); the errors of load_image.
std::pair<std::size_t, std::size_t> image_file_size(const std::filesystem::path& path);  // height, width

// How a picture of another shape is brought to the model's height x width.
enum class Fit {
  Letterbox,  // scaled to fit inside with its aspect ratio kept, centred, the rest filled with the
              // mean colour of the picture's border (a white background stays white)
  Stretch,    // resized to height x width whatever its shape (objects get squashed)
};
const std::vector<std::string>& fit_names();  // letterbox, stretch (Fit's order)
Fit fit_from_name(const std::string& name);   // throws std::invalid_argument naming the choices

Image fit_image(const Image& image, std::size_t height, std::size_t width, Fit fit);

// Light augmentation for small folders, drawn from `g`: scaled by 0.9 to 1.1 about the centre,
// shifted by up to 1/16 of each side (bilinear; what comes in from outside is the border's mean
// colour), contrast 0.8 to 1.2 about the picture's mean, brightness -0.05 to 0.05, clamped to [0, 1].
Image augment_image(const Image& image, attograd::Generator& g);

// PNG of an image with 1 to 4 channels (values clamped to [0, 1], rounded to 8 bits).
std::string png_bytes(const Image& image);
std::string png_base64(const Image& image);  // for <img src="data:image/png;base64,...">
// Written through a temporary file and a rename; throws std::runtime_error naming the path.
void save_png(const std::filesystem::path& path, const Image& image);

// Height of the text strip attention_overlay puts under the picture.
inline constexpr std::size_t overlay_text_height = 20;

// The picture (RGB or grey) enlarged `scale` times (nearest neighbour), with `weights` — a
// grid_h x grid_w row-major attention map, any non-negative values, normalised by their largest —
// upsampled bilinearly and laid over it as heat (red to yellow, opacity growing with the weight;
// unattended areas darkened), and `word` written white on black in a strip below. The result is
// (3, image.height * scale + overlay_text_height, image.width * scale).
Image attention_overlay(const Image& image, const std::vector<float>& weights, std::size_t grid_h, std::size_t grid_w,
                        const std::string& word, std::size_t scale = 4);

// Writes `text` into the image with the 5x7 font enlarged `scale` times, its top-left corner at
// (top, left), clipped at the image's edges. Returns the width the text takes.
std::size_t draw_text(Image& image, const std::string& text, std::size_t top, std::size_t left, std::size_t scale,
                      const std::array<float, 3>& colour);
std::size_t text_width(const std::string& text, std::size_t scale);  // 6 * scale per character, less one gap

// Images side by side in rows of `columns`, `gap` pixels apart on a black background (a caption's
// overlays as one figure). All images need the same channel count.
Image tile_images(const std::vector<Image>& images, std::size_t columns, std::size_t gap = 2);

}  // namespace caption
