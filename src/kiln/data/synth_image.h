// Seeded procedural pictures for synthetic datasets: gradients, smooth value-noise textures and
// antialiased shapes with stripes or checks, plus an optional per-pixel label map. They give
// resize filters and JPEG real edges and texture to work on, unlike white noise.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "kiln/data/image.h"

namespace kiln::data {

/// xoshiro256** seeded through splitmix64: the same numbers on every platform and standard
/// library (std::uniform_*_distribution are not specified bit for bit).
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  /// A generator for item `index` of stream `stream`, independent of the order items are made.
  static Rng for_item(std::uint64_t seed, std::uint64_t stream, std::uint64_t index);

  std::uint64_t next();
  /// Uniform in [0, 1).
  double uniform();
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  /// Uniform integer in [low, high].
  int integer(int low, int high);
  bool chance(double probability) { return uniform() < probability; }

 private:
  std::array<std::uint64_t, 4> state_;
};

struct Color {
  float r = 0, g = 0, b = 0;
};

/// A random saturated-enough color.
Color random_color(Rng& rng);

/// How a shape is filled.
struct Paint {
  enum class Texture { kFlat, kStripes, kChecks, kMottled };
  Color color;
  Color second;  ///< the other color of stripes and checks
  Texture texture = Texture::kFlat;
  double period = 8;  ///< stripe/check size in pixels; mottle scale
  double angle = 0;   ///< stripe/check direction in radians
  std::uint64_t noise_seed = 0;
};

/// A random paint: one of the textures with random colors, period and angle.
Paint random_paint(Rng& rng);

struct Point {
  double x = 0, y = 0;
};

/// A float RGB canvas (0..255) with an optional label map painted along with the shapes.
class Canvas {
 public:
  Canvas(int width, int height, bool with_labels = false);

  int width() const { return width_; }
  int height() const { return height_; }

  /// A linear gradient from `a` to `b` along direction `angle` (radians).
  void gradient(Color a, Color b, double angle);
  /// Adds smooth value noise (several octaves, `cell` pixels per lattice cell at the coarsest)
  /// to the luminance, +-amplitude.
  void add_noise(std::uint64_t seed, double amplitude, double cell, int octaves);
  /// Antialiased axis-aligned rectangle [x0, x1) x [y0, y1).
  void rectangle(double x0, double y0, double x1, double y1, const Paint& paint, int label = -1);
  /// Antialiased convex polygon (vertices in either winding order).
  void convex_polygon(std::span<const Point> vertices, const Paint& paint, int label = -1);
  /// Antialiased ellipse.
  void ellipse(double cx, double cy, double rx, double ry, const Paint& paint, int label = -1);

  /// The picture as 8-bit RGB (or gray: the luminance, rounded).
  Image to_image(bool gray = false) const;
  /// The label map (8-bit, 1 channel): the label of the last shape covering each pixel's
  /// center, `background` where none did.
  Image labels(std::uint8_t background) const;

 private:
  Color paint_at(const Paint& paint, double x, double y) const;
  void blend(int x, int y, double coverage, Color color, int label);

  int width_, height_;
  std::vector<float> rgb_;
  std::vector<std::int16_t> labels_;  // -1: none
};

/// Smooth value noise in [-1, 1] at (x, y) with lattice cells of `cell` pixels.
double value_noise(std::uint64_t seed, double x, double y, double cell);

}  // namespace kiln::data
