// Procedural pictures: a deterministic RNG, value noise and coverage-antialiased shapes.

#include "kiln/data/synth_image.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "kiln/core/error.h"

namespace kiln::data {

namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

// A hash of lattice coordinates to [0, 1).
double lattice(std::uint64_t seed, std::int64_t ix, std::int64_t iy) {
  std::uint64_t x = seed ^ (static_cast<std::uint64_t>(ix) * 0x9E3779B97F4A7C15ull) ^
                    (static_cast<std::uint64_t>(iy) * 0xC2B2AE3D27D4EB4Full);
  return static_cast<double>(splitmix64(x) >> 11) * 0x1.0p-53;
}

double smoothstep(double t) {
  return t * t * (3 - 2 * t);
}

float clamp255(double v) {
  return static_cast<float>(std::clamp(v, 0.0, 255.0));
}

}  // namespace

Rng::Rng(std::uint64_t seed) {
  for (auto& s : state_) s = splitmix64(seed);
}

Rng Rng::for_item(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  std::uint64_t mix = seed;
  std::uint64_t a = splitmix64(mix) ^ (stream * 0xD1B54A32D192ED03ull);
  std::uint64_t b = splitmix64(a) ^ (index * 0x8CB92BA72F3D8DD7ull);
  return Rng(splitmix64(b));
}

std::uint64_t Rng::next() {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

int Rng::integer(int low, int high) {
  KILN_CHECK(low <= high, "Rng::integer({}, {})", low, high);
  const auto span = static_cast<std::uint64_t>(high - low) + 1;
  return low + static_cast<int>(next() % span);  // the bias is irrelevant for pictures
}

Color random_color(Rng& rng) {
  // Mix a random hue with gray so colors range from muted to vivid, as photographs do.
  const double h = rng.uniform() * 6;
  const double s = rng.uniform(0.2, 0.9);
  const double v = rng.uniform(40, 240);
  const double f = h - std::floor(h);
  const double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch (static_cast<int>(h) % 6) {
    case 0:
      return {float(v), float(t), float(p)};
    case 1:
      return {float(q), float(v), float(p)};
    case 2:
      return {float(p), float(v), float(t)};
    case 3:
      return {float(p), float(q), float(v)};
    case 4:
      return {float(t), float(p), float(v)};
    default:
      return {float(v), float(p), float(q)};
  }
}

Paint random_paint(Rng& rng) {
  Paint paint;
  paint.color = random_color(rng);
  paint.second = random_color(rng);
  paint.texture = static_cast<Paint::Texture>(rng.integer(0, 3));
  paint.period = rng.uniform(3, 24);
  paint.angle = rng.uniform(0, std::numbers::pi);
  paint.noise_seed = rng.next();
  return paint;
}

double value_noise(std::uint64_t seed, double x, double y, double cell) {
  const double u = x / cell, v = y / cell;
  const double fu = std::floor(u), fv = std::floor(v);
  const auto ix = static_cast<std::int64_t>(fu), iy = static_cast<std::int64_t>(fv);
  const double tx = smoothstep(u - fu), ty = smoothstep(v - fv);
  const double a = lattice(seed, ix, iy), b = lattice(seed, ix + 1, iy);
  const double c = lattice(seed, ix, iy + 1), d = lattice(seed, ix + 1, iy + 1);
  const double top = a + (b - a) * tx, bottom = c + (d - c) * tx;
  return 2 * (top + (bottom - top) * ty) - 1;
}

Canvas::Canvas(int width, int height, bool with_labels)
    : width_(width),
      height_(height),
      rgb_(static_cast<std::size_t>(width) * height * 3, 0.f),
      labels_(with_labels ? static_cast<std::size_t>(width) * height : 0, -1) {
  KILN_CHECK(width > 0 && height > 0, "canvas {}x{}", width, height);
}

void Canvas::gradient(Color a, Color b, double angle) {
  const double dx = std::cos(angle), dy = std::sin(angle);
  const double lo = std::min({0.0, dx * width_, dy * height_, dx * width_ + dy * height_});
  const double hi = std::max({0.0, dx * width_, dy * height_, dx * width_ + dy * height_});
  for (int y = 0; y < height_; ++y) {
    for (int x = 0; x < width_; ++x) {
      const double t = ((x + 0.5) * dx + (y + 0.5) * dy - lo) / (hi - lo);
      float* p = &rgb_[(static_cast<std::size_t>(y) * width_ + x) * 3];
      p[0] = static_cast<float>(a.r + (b.r - a.r) * t);
      p[1] = static_cast<float>(a.g + (b.g - a.g) * t);
      p[2] = static_cast<float>(a.b + (b.b - a.b) * t);
    }
  }
}

void Canvas::add_noise(std::uint64_t seed, double amplitude, double cell, int octaves) {
  for (int y = 0; y < height_; ++y) {
    for (int x = 0; x < width_; ++x) {
      double n = 0, weight = 1, total = 0, size = cell;
      for (int o = 0; o < octaves; ++o) {
        n += weight * value_noise(seed + static_cast<std::uint64_t>(o), x, y, size);
        total += weight;
        weight *= 0.5;
        size = std::max(size * 0.5, 1.0);
      }
      const double delta = amplitude * n / total;
      float* p = &rgb_[(static_cast<std::size_t>(y) * width_ + x) * 3];
      for (int c = 0; c < 3; ++c) p[c] = clamp255(p[c] + delta);
    }
  }
}

Color Canvas::paint_at(const Paint& paint, double x, double y) const {
  double t = 0;  // share of the second color
  switch (paint.texture) {
    case Paint::Texture::kFlat:
      return paint.color;
    case Paint::Texture::kStripes:
      t = 0.5 +
          0.5 * std::sin(2 * std::numbers::pi *
                         (x * std::cos(paint.angle) + y * std::sin(paint.angle)) / paint.period);
      break;
    case Paint::Texture::kChecks: {
      const double u = x * std::cos(paint.angle) + y * std::sin(paint.angle);
      const double v = -x * std::sin(paint.angle) + y * std::cos(paint.angle);
      t = (static_cast<std::int64_t>(std::floor(u / paint.period)) +
           static_cast<std::int64_t>(std::floor(v / paint.period))) &
                  1
              ? 1.0
              : 0.0;
      break;
    }
    case Paint::Texture::kMottled:
      t = 0.5 + 0.5 * value_noise(paint.noise_seed, x, y, paint.period);
      break;
  }
  return {static_cast<float>(paint.color.r + (paint.second.r - paint.color.r) * t),
          static_cast<float>(paint.color.g + (paint.second.g - paint.color.g) * t),
          static_cast<float>(paint.color.b + (paint.second.b - paint.color.b) * t)};
}

void Canvas::blend(int x, int y, double coverage, Color color, int label) {
  if (coverage <= 0) return;
  const std::size_t i = static_cast<std::size_t>(y) * width_ + x;
  float* p = &rgb_[i * 3];
  const auto a = static_cast<float>(std::min(coverage, 1.0));
  p[0] += (color.r - p[0]) * a;
  p[1] += (color.g - p[1]) * a;
  p[2] += (color.b - p[2]) * a;
  if (label >= 0 && !labels_.empty() && coverage >= 0.5) {
    labels_[i] = static_cast<std::int16_t>(label);
  }
}

void Canvas::rectangle(double x0, double y0, double x1, double y1, const Paint& paint, int label) {
  const int xa = std::max(0, static_cast<int>(std::floor(x0)));
  const int xb = std::min(width_, static_cast<int>(std::ceil(x1)));
  const int ya = std::max(0, static_cast<int>(std::floor(y0)));
  const int yb = std::min(height_, static_cast<int>(std::ceil(y1)));
  for (int y = ya; y < yb; ++y) {
    const double cy = std::min<double>(y + 1, y1) - std::max<double>(y, y0);
    for (int x = xa; x < xb; ++x) {
      const double cx = std::min<double>(x + 1, x1) - std::max<double>(x, x0);
      blend(x, y, cx * cy, paint_at(paint, x + 0.5, y + 0.5), label);
    }
  }
}

void Canvas::convex_polygon(std::span<const Point> vertices, const Paint& paint, int label) {
  if (vertices.size() < 3) return;
  double area2 = 0;
  double x_min = vertices[0].x, x_max = x_min, y_min = vertices[0].y, y_max = y_min;
  for (std::size_t i = 0; i < vertices.size(); ++i) {
    const Point& a = vertices[i];
    const Point& b = vertices[(i + 1) % vertices.size()];
    area2 += a.x * b.y - b.x * a.y;
    x_min = std::min(x_min, a.x), x_max = std::max(x_max, a.x);
    y_min = std::min(y_min, a.y), y_max = std::max(y_max, a.y);
  }
  if (area2 == 0) return;
  const double orientation = area2 > 0 ? 1.0 : -1.0;
  const int xa = std::max(0, static_cast<int>(std::floor(x_min)) - 1);
  const int xb = std::min(width_, static_cast<int>(std::ceil(x_max)) + 1);
  const int ya = std::max(0, static_cast<int>(std::floor(y_min)) - 1);
  const int yb = std::min(height_, static_cast<int>(std::ceil(y_max)) + 1);
  for (int y = ya; y < yb; ++y) {
    for (int x = xa; x < xb; ++x) {
      const double px = x + 0.5, py = y + 0.5;
      // Signed distance to the nearest edge line (positive inside): exact for convex shapes
      // away from corners, and a one-pixel ramp of it is the coverage.
      double distance = 1e9;
      for (std::size_t i = 0; i < vertices.size(); ++i) {
        const Point& a = vertices[i];
        const Point& b = vertices[(i + 1) % vertices.size()];
        const double ex = b.x - a.x, ey = b.y - a.y;
        const double length = std::hypot(ex, ey);
        if (length == 0) continue;
        const double d = orientation * (ex * (py - a.y) - ey * (px - a.x)) / length;
        distance = std::min(distance, d);
      }
      blend(x, y, std::clamp(distance + 0.5, 0.0, 1.0), paint_at(paint, px, py), label);
    }
  }
}

void Canvas::ellipse(double cx, double cy, double rx, double ry, const Paint& paint, int label) {
  const int xa = std::max(0, static_cast<int>(std::floor(cx - rx)) - 1);
  const int xb = std::min(width_, static_cast<int>(std::ceil(cx + rx)) + 1);
  const int ya = std::max(0, static_cast<int>(std::floor(cy - ry)) - 1);
  const int yb = std::min(height_, static_cast<int>(std::ceil(cy + ry)) + 1);
  const double r = std::min(rx, ry);
  for (int y = ya; y < yb; ++y) {
    for (int x = xa; x < xb; ++x) {
      const double dx = (x + 0.5 - cx) / rx, dy = (y + 0.5 - cy) / ry;
      const double distance = (1 - std::sqrt(dx * dx + dy * dy)) * r;
      blend(x, y, std::clamp(distance + 0.5, 0.0, 1.0), paint_at(paint, x + 0.5, y + 0.5), label);
    }
  }
}

Image Canvas::to_image(bool gray) const {
  Image image = Image::blank(width_, height_, gray ? 1 : 3);
  const std::size_t count = static_cast<std::size_t>(width_) * height_;
  for (std::size_t i = 0; i < count; ++i) {
    const float* p = &rgb_[i * 3];
    if (gray) {
      const double y = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
      image.pixels[i] = static_cast<std::uint8_t>(std::lround(std::clamp(y, 0.0, 255.0)));
    } else {
      for (int c = 0; c < 3; ++c) {
        image.pixels[i * 3 + c] =
            static_cast<std::uint8_t>(std::lround(std::clamp<double>(p[c], 0.0, 255.0)));
      }
    }
  }
  return image;
}

Image Canvas::labels(std::uint8_t background) const {
  KILN_CHECK(!labels_.empty(), "this canvas keeps no labels");
  Image image = Image::blank(width_, height_, 1);
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    image.pixels[i] = labels_[i] < 0 ? background : static_cast<std::uint8_t>(labels_[i]);
  }
  return image;
}

}  // namespace kiln::data
