// Image files through stb (Debian's libstb: the decoders and the PNG encoder are in libstb.so,
// so only the declarations are included here), resampling, and the attention figure.
#include "image_io.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <stb_image.h>
#include <stb_image_write.h>

#include "font.hpp"
#include "report.hpp"

namespace caption {

namespace {

void check_pixels(const Image& image, const char* what) {
  if (image.pixels.size() != image.channels * image.height * image.width)
    throw std::invalid_argument(fmt::format("{}: the image says ({}, {}, {}) but holds {} values", what, image.channels,
                                            image.height, image.width, image.pixels.size()));
}

// One output pixel's inputs along an axis: pixels first, first + 1, ... with these weights.
struct Taps {
  std::size_t first = 0;
  std::vector<float> weights;
};

// Output pixel i has its centre at input coordinate (i + 0.5) * in / out (pixel j's centre is at
// j + 0.5). A triangle filter of radius max(in / out, 1) around it is bilinear interpolation when
// enlarging and an average over the covered pixels when shrinking. Taps past the edge are dropped
// and the rest renormalised, so edges repeat their nearest pixel (the total is positive: the
// pixel under the centre always weighs at least 1/2).
std::vector<Taps> taps(std::size_t in, std::size_t out) {
  const double scale = static_cast<double>(in) / static_cast<double>(out), radius = std::max(scale, 1.0);
  std::vector<Taps> all(out);
  for (std::size_t i = 0; i < out; ++i) {
    const double centre = (static_cast<double>(i) + 0.5) * scale;
    const auto lo = static_cast<std::size_t>(std::max(0.0, std::floor(centre - radius)));
    const auto hi = std::min(in, static_cast<std::size_t>(std::ceil(centre + radius)));
    double total = 0;
    std::vector<double> w;
    for (std::size_t j = lo; j < hi; ++j) {
      w.push_back(std::max(0.0, 1.0 - std::abs(static_cast<double>(j) + 0.5 - centre) / radius));
      total += w.back();
    }
    all[i].first = lo;
    for (double v : w) all[i].weights.push_back(static_cast<float>(v / total));
  }
  return all;
}

void append_png(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

float channel_value(const std::array<float, 3>& colour, std::size_t channels, std::size_t c) {
  if (channels <= 2) return c == 0 ? (colour[0] + colour[1] + colour[2]) / 3 : 1.0f;  // grey (+ alpha)
  return c < 3 ? colour[c] : 1.0f;                                                    // RGB (+ alpha)
}

}  // namespace

namespace {

// The file's bytes, and its header's width and height; the errors load_image documents.
struct ImageFile {
  std::string bytes;
  int width = 0, height = 0, channels = 0;
};

std::runtime_error image_error(const std::filesystem::path& path, const std::string& problem) {
  return std::runtime_error(fmt::format("load_image: {}: {}", path.string(), problem));
}

std::string stb_reason() {
  const char* r = stbi_failure_reason();
  return std::string(r ? r : "no reason given");
}

ImageFile read_image_file(const std::filesystem::path& path) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw image_error(path, "the file does not exist");
  if (std::filesystem::is_directory(status)) throw image_error(path, "is a directory, not an image file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw image_error(path, fmt::format("the file cannot be read ({})", std::strerror(errno)));
  const std::streamoff size = in.tellg();
  if (size == 0) throw image_error(path, "the file is empty (0 bytes)");
  if (size < 0 || size > INT_MAX) throw image_error(path, "the file's size cannot be read, or it is larger than 2 GB");
  ImageFile f;
  f.bytes.assign(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(f.bytes.data(), size)) throw image_error(path, "reading the file failed");
  if (!stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(f.bytes.data()), static_cast<int>(f.bytes.size()),
                             &f.width, &f.height, &f.channels))
    throw image_error(path, fmt::format("not a PNG, JPEG, BMP or PGM/PPM image stb can read ({})", stb_reason()));
  if (f.width <= 0 || f.height <= 0)
    throw image_error(path, fmt::format("the image has no pixels ({}x{})", f.width, f.height));
  if (static_cast<double>(f.width) * f.height > 1 << 28)
    throw image_error(path, fmt::format("the image is too large ({}x{})", f.width, f.height));
  return f;
}

}  // namespace

std::pair<std::size_t, std::size_t> image_file_size(const std::filesystem::path& path) {
  const ImageFile f = read_image_file(path);
  return {static_cast<std::size_t>(f.height), static_cast<std::size_t>(f.width)};
}

Image load_image(const std::filesystem::path& path) {
  ImageFile f = read_image_file(path);
  int w = 0, h = 0, file_channels = 0;
  const std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(f.bytes.data()), static_cast<int>(f.bytes.size()), &w, &h,
                            &file_channels, 3),
      stbi_image_free);
  if (!pixels) throw image_error(path, fmt::format("the image data is truncated or corrupt ({})", stb_reason()));

  Image image{3, static_cast<std::size_t>(h), static_cast<std::size_t>(w), {}};
  image.pixels.resize(3 * image.height * image.width);
  for (std::size_t y = 0; y < image.height; ++y)
    for (std::size_t x = 0; x < image.width; ++x)
      for (std::size_t c = 0; c < 3; ++c)
        image.at(c, y, x) = static_cast<float>(pixels.get()[(y * image.width + x) * 3 + c]) / 255.0f;
  return image;
}

Image resize_image(const Image& image, std::size_t height, std::size_t width) {
  check_pixels(image, "resize_image");
  if (height == 0 || width == 0 || image.height == 0 || image.width == 0)
    throw std::invalid_argument(fmt::format("resize_image: cannot resize {}x{} to {}x{}: sizes must be positive",
                                            image.height, image.width, height, width));
  const std::size_t C = image.channels;
  const std::vector<Taps> across = taps(image.width, width), down = taps(image.height, height);
  Image wide{C, image.height, width, std::vector<float>(C * image.height * width)};  // (C, H_in, W)
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t y = 0; y < image.height; ++y)
      for (std::size_t x = 0; x < width; ++x) {
        float v = 0;
        for (std::size_t k = 0; k < across[x].weights.size(); ++k)
          v += across[x].weights[k] * image.at(c, y, across[x].first + k);
        wide.at(c, y, x) = v;
      }
  Image out{C, height, width, std::vector<float>(C * height * width)};  // (C, H, W)
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t y = 0; y < height; ++y)
      for (std::size_t x = 0; x < width; ++x) {
        float v = 0;
        for (std::size_t k = 0; k < down[y].weights.size(); ++k)
          v += down[y].weights[k] * wide.at(c, down[y].first + k, x);
        out.at(c, y, x) = v;
      }
  return out;
}

const std::vector<std::string>& fit_names() {
  static const std::vector<std::string> names = {"letterbox", "stretch"};
  return names;
}

Fit fit_from_name(const std::string& name) {
  if (name == "letterbox") return Fit::Letterbox;
  if (name == "stretch") return Fit::Stretch;
  throw std::invalid_argument(fmt::format("unknown fit '{}'; choose letterbox or stretch", name));
}

namespace {

// The mean colour of the picture's outermost pixels, per channel: what letterboxing and
// augmentation fill with.
std::vector<float> border_colour(const Image& image) {
  std::vector<float> mean(image.channels, 0.0f);
  std::size_t n = 0;
  for (std::size_t y = 0; y < image.height; ++y)
    for (std::size_t x = 0; x < image.width; ++x) {
      if (y != 0 && y + 1 != image.height && x != 0 && x + 1 != image.width) continue;
      for (std::size_t c = 0; c < image.channels; ++c) mean[c] += image.at(c, y, x);
      ++n;
    }
  for (float& m : mean) m /= static_cast<float>(n);
  return mean;
}

}  // namespace

Image fit_image(const Image& image, std::size_t height, std::size_t width, Fit fit) {
  if (fit == Fit::Stretch || image.height * width == image.width * height) return resize_image(image, height, width);
  check_pixels(image, "fit_image");
  // The largest size with the picture's aspect ratio that fits: one side full, the other smaller.
  const double scale = std::min(static_cast<double>(height) / static_cast<double>(image.height),
                                static_cast<double>(width) / static_cast<double>(image.width));
  const auto h = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::lround(scale * static_cast<double>(image.height))), 1, height);
  const auto w = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::lround(scale * static_cast<double>(image.width))), 1, width);
  const Image inner = resize_image(image, h, w);
  const std::vector<float> fill = border_colour(image);
  Image out{image.channels, height, width, std::vector<float>(image.channels * height * width)};
  const std::size_t top = (height - h) / 2, left = (width - w) / 2;
  for (std::size_t c = 0; c < image.channels; ++c)
    for (std::size_t y = 0; y < height; ++y)
      for (std::size_t x = 0; x < width; ++x) {
        const bool inside = y >= top && y < top + h && x >= left && x < left + w;
        out.at(c, y, x) = inside ? inner.at(c, y - top, x - left) : fill[c];
      }
  return out;
}

Image augment_image(const Image& image, attograd::Generator& g) {
  check_pixels(image, "augment_image");
  const float scale = g.uniform(0.9f, 1.1f);
  const float dy = g.uniform(-1.0f, 1.0f) * static_cast<float>(image.height) / 16;
  const float dx = g.uniform(-1.0f, 1.0f) * static_cast<float>(image.width) / 16;
  const float contrast = g.uniform(0.8f, 1.2f), brightness = g.uniform(-0.05f, 0.05f);
  const std::vector<float> fill = border_colour(image);
  const float cy = static_cast<float>(image.height) / 2, cx = static_cast<float>(image.width) / 2;
  Image out{image.channels, image.height, image.width, std::vector<float>(image.pixels.size())};
  // Each output pixel centre, mapped back through the shift and the scale, samples the input bilinearly.
  auto sample = [&](std::size_t c, float y, float x) {
    const float fy = std::floor(y), fx = std::floor(x);
    float v = 0.0f;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        const float yy = fy + static_cast<float>(i), xx = fx + static_cast<float>(j);
        const float w = (i ? y - fy : 1 - (y - fy)) * (j ? x - fx : 1 - (x - fx));
        const bool inside =
            yy >= 0 && xx >= 0 && yy < static_cast<float>(image.height) && xx < static_cast<float>(image.width);
        v += w * (inside ? image.at(c, static_cast<std::size_t>(yy), static_cast<std::size_t>(xx)) : fill[c]);
      }
    return v;
  };
  for (std::size_t c = 0; c < image.channels; ++c) {
    float mean = 0.0f;
    for (std::size_t y = 0; y < image.height; ++y)
      for (std::size_t x = 0; x < image.width; ++x) {
        const float sy = (static_cast<float>(y) + 0.5f - cy - dy) / scale + cy - 0.5f;
        const float sx = (static_cast<float>(x) + 0.5f - cx - dx) / scale + cx - 0.5f;
        out.at(c, y, x) = sample(c, sy, sx);
        mean += out.at(c, y, x);
      }
    mean /= static_cast<float>(image.height * image.width);
    for (std::size_t y = 0; y < image.height; ++y)
      for (std::size_t x = 0; x < image.width; ++x)
        out.at(c, y, x) = std::clamp(mean + contrast * (out.at(c, y, x) - mean) + brightness, 0.0f, 1.0f);
  }
  return out;
}

std::string png_bytes(const Image& image) {
  check_pixels(image, "png_bytes");
  if (image.channels < 1 || image.channels > 4 || image.height == 0 || image.width == 0 || image.height > INT_MAX / 4 ||
      image.width > INT_MAX / 4)
    throw std::invalid_argument(
        fmt::format("png_bytes: cannot encode a ({}, {}, {}) image: PNG takes 1 to 4 "
                    "channels and a positive size",
                    image.channels, image.height, image.width));
  const std::size_t C = image.channels, H = image.height, W = image.width;
  std::vector<unsigned char> interleaved(C * H * W);  // (H, W, C) bytes, as PNG stores them
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x)
      for (std::size_t c = 0; c < C; ++c)
        interleaved[(y * W + x) * C + c] =
            static_cast<unsigned char>(std::lround(std::clamp(image.at(c, y, x), 0.0f, 1.0f) * 255.0f));
  std::string png;
  if (!stbi_write_png_to_func(append_png, &png, static_cast<int>(W), static_cast<int>(H), static_cast<int>(C),
                              interleaved.data(), static_cast<int>(W * C)))
    throw std::runtime_error(fmt::format("png_bytes: stb could not encode the {}x{} image", H, W));
  return png;
}

std::string png_base64(const Image& image) {
  static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string bytes = png_bytes(image);
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {  // 3 bytes -> 4 characters of 6 bits
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k) v = (v << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? digits[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

void save_png(const std::filesystem::path& path, const Image& image) {
  std::string png;
  try {
    png = png_bytes(image);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("save_png: {}: {}", path.string(), e.what()));
  }
  examples::write_file_atomically(path, png);  // its errors name the path
}

std::size_t text_width(const std::string& text, std::size_t scale) {
  return text.empty() ? 0 : ((font::glyph_width + 1) * text.size() - 1) * scale;
}

std::size_t draw_text(Image& image, const std::string& text, std::size_t top, std::size_t left, std::size_t scale,
                      const std::array<float, 3>& colour) {
  check_pixels(image, "draw_text");
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::size_t x0 = left + i * (font::glyph_width + 1) * scale;
    for (std::size_t r = 0; r < font::glyph_height * scale; ++r)
      for (std::size_t k = 0; k < font::glyph_width * scale; ++k) {
        const std::size_t y = top + r, x = x0 + k;
        if (y >= image.height || x >= image.width || !font::ink(text[i], r / scale, k / scale)) continue;
        for (std::size_t c = 0; c < image.channels; ++c) image.at(c, y, x) = channel_value(colour, image.channels, c);
      }
  }
  return text_width(text, scale);
}

Image attention_overlay(const Image& image, const std::vector<float>& weights, std::size_t grid_h, std::size_t grid_w,
                        const std::string& word, std::size_t scale) {
  check_pixels(image, "attention_overlay");
  if (image.channels == 0 || image.height == 0 || image.width == 0 || grid_h == 0 || grid_w == 0 || scale == 0)
    throw std::invalid_argument(
        fmt::format("attention_overlay: the image ({}, {}, {}), the grid ({}x{}) and the scale ({}) must not be empty",
                    image.channels, image.height, image.width, grid_h, grid_w, scale));
  if (weights.size() != grid_h * grid_w)
    throw std::invalid_argument(fmt::format("attention_overlay: {} weights for a {}x{} grid (expected {})",
                                            weights.size(), grid_h, grid_w, grid_h * grid_w));
  float peak = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] >= 0) || !std::isfinite(weights[i]))
      throw std::invalid_argument(
          fmt::format("attention_overlay: weight {} is {}; weights must be finite and >= 0", i, weights[i]));
    peak = std::max(peak, weights[i]);
  }
  const std::size_t H = image.height * scale, W = image.width * scale;
  Image grid{1, grid_h, grid_w, weights};
  for (float& v : grid.pixels) v = peak > 0 ? v / peak : 0.0f;
  const Image heat = resize_image(grid, H, W);  // (1, H, W) in [0, 1]

  Image out{3, H + overlay_text_height, W, std::vector<float>(3 * (H + overlay_text_height) * W, 0.0f)};
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x) {
      const float t = std::clamp(heat.at(0, y, x), 0.0f, 1.0f), alpha = 0.6f * t;
      const float hot[3] = {1.0f, t, 0.0f};  // red where attention is weak, yellow at its peak
      for (std::size_t c = 0; c < 3; ++c) {
        const float base = image.at(image.channels >= 3 ? c : 0, y / scale, x / scale) * (0.6f + 0.4f * t);
        out.at(c, y, x) = (1 - alpha) * base + alpha * hot[c];
      }
    }
  const std::size_t text_left = text_width(word, 2) + 4 <= W ? (W - text_width(word, 2)) / 2 : 2;
  draw_text(out, word, H + (overlay_text_height - 2 * font::glyph_height) / 2, text_left, 2, {1.0f, 1.0f, 1.0f});
  return out;
}

Image tile_images(const std::vector<Image>& images, std::size_t columns, std::size_t gap) {
  if (images.empty() || columns == 0)
    throw std::invalid_argument(
        fmt::format("tile_images: {} images in {} columns: need at least one of each", images.size(), columns));
  std::size_t cell_h = 0, cell_w = 0;
  for (const Image& im : images) {
    check_pixels(im, "tile_images");
    if (im.channels != images[0].channels)
      throw std::invalid_argument(fmt::format("tile_images: images with {} and {} channels cannot share a figure",
                                              images[0].channels, im.channels));
    cell_h = std::max(cell_h, im.height), cell_w = std::max(cell_w, im.width);
  }
  const std::size_t C = images[0].channels, cols = std::min(columns, images.size());
  const std::size_t rows = (images.size() + cols - 1) / cols;
  Image out{C, rows * cell_h + (rows - 1) * gap, cols * cell_w + (cols - 1) * gap, {}};
  out.pixels.assign(C * out.height * out.width, 0.0f);
  for (std::size_t i = 0; i < images.size(); ++i) {
    const Image& im = images[i];
    const std::size_t top = (i / cols) * (cell_h + gap), left = (i % cols) * (cell_w + gap);
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t y = 0; y < im.height; ++y)
        for (std::size_t x = 0; x < im.width; ++x) out.at(c, top + y, left + x) = im.at(c, y, x);
  }
  return out;
}

}  // namespace caption
