// Synthetic datasets. Every image is drawn from its own RNG stream (seed, task, index), so the
// output does not depend on how many threads made it; only COCO's image ids form one sequence.

#include "kiln/data/synth.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numbers>
#include <thread>
#include <vector>

#include "kiln/core/error.h"
#include "kiln/core/file_io.h"
#include "kiln/data/image.h"
#include "kiln/data/synth_image.h"

namespace kiln::data {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

namespace {

constexpr CocoCategory kCocoCategories[] = {
    {1, "person", "person"},
    {2, "bicycle", "vehicle"},
    {3, "car", "vehicle"},
    {4, "motorcycle", "vehicle"},
    {5, "airplane", "vehicle"},
    {6, "bus", "vehicle"},
    {7, "train", "vehicle"},
    {8, "truck", "vehicle"},
    {9, "boat", "vehicle"},
    {10, "traffic light", "outdoor"},
    {11, "fire hydrant", "outdoor"},
    {13, "stop sign", "outdoor"},
    {14, "parking meter", "outdoor"},
    {15, "bench", "outdoor"},
    {16, "bird", "animal"},
    {17, "cat", "animal"},
    {18, "dog", "animal"},
    {19, "horse", "animal"},
    {20, "sheep", "animal"},
    {21, "cow", "animal"},
    {22, "elephant", "animal"},
    {23, "bear", "animal"},
    {24, "zebra", "animal"},
    {25, "giraffe", "animal"},
    {27, "backpack", "accessory"},
    {28, "umbrella", "accessory"},
    {31, "handbag", "accessory"},
    {32, "tie", "accessory"},
    {33, "suitcase", "accessory"},
    {34, "frisbee", "sports"},
    {35, "skis", "sports"},
    {36, "snowboard", "sports"},
    {37, "sports ball", "sports"},
    {38, "kite", "sports"},
    {39, "baseball bat", "sports"},
    {40, "baseball glove", "sports"},
    {41, "skateboard", "sports"},
    {42, "surfboard", "sports"},
    {43, "tennis racket", "sports"},
    {44, "bottle", "kitchen"},
    {46, "wine glass", "kitchen"},
    {47, "cup", "kitchen"},
    {48, "fork", "kitchen"},
    {49, "knife", "kitchen"},
    {50, "spoon", "kitchen"},
    {51, "bowl", "kitchen"},
    {52, "banana", "food"},
    {53, "apple", "food"},
    {54, "sandwich", "food"},
    {55, "orange", "food"},
    {56, "broccoli", "food"},
    {57, "carrot", "food"},
    {58, "hot dog", "food"},
    {59, "pizza", "food"},
    {60, "donut", "food"},
    {61, "cake", "food"},
    {62, "chair", "furniture"},
    {63, "couch", "furniture"},
    {64, "potted plant", "furniture"},
    {65, "bed", "furniture"},
    {67, "dining table", "furniture"},
    {70, "toilet", "furniture"},
    {72, "tv", "electronic"},
    {73, "laptop", "electronic"},
    {74, "mouse", "electronic"},
    {75, "remote", "electronic"},
    {76, "keyboard", "electronic"},
    {77, "cell phone", "electronic"},
    {78, "microwave", "appliance"},
    {79, "oven", "appliance"},
    {80, "toaster", "appliance"},
    {81, "sink", "appliance"},
    {82, "refrigerator", "appliance"},
    {84, "book", "indoor"},
    {85, "clock", "indoor"},
    {86, "vase", "indoor"},
    {87, "scissors", "indoor"},
    {88, "teddy bear", "indoor"},
    {89, "hair drier", "indoor"},
    {90, "toothbrush", "indoor"},
};
static_assert(std::size(kCocoCategories) == 80);

// Streams of Rng::for_item, one per kind of item.
enum Stream : std::uint64_t {
  kImagenetStream = 1,
  kSrStream,
  kCityscapesStream,
  kCocoStream,
  kCocoIdStream
};

// Runs make(i) for i in [0, count) on a thread pool; the first exception is rethrown.
template <typename Make>
void parallel_items(int count, int threads, Make make) {
  std::atomic<int> next{0};
  std::exception_ptr error;
  std::mutex mutex;
  auto work = [&] {
    for (int i = next++; i < count; i = next++) {
      try {
        make(i);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!error) error = std::current_exception();
        next = count;
      }
    }
  };
  const int n =
      std::clamp(threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency()), 1,
                 std::max(count, 1));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

void make_directories(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw_user_error("cannot create '{}': {}", dir.string(), ec.message());
}

// A background and a few textured shapes: the generic "photograph".
Canvas random_scene(Rng& rng, int width, int height) {
  Canvas canvas(width, height);
  canvas.gradient(random_color(rng), random_color(rng), rng.uniform(0, 2 * std::numbers::pi));
  canvas.add_noise(rng.next(), rng.uniform(4, 20), rng.uniform(16, 96), 3);
  const int shapes = rng.integer(3, 9);
  for (int s = 0; s < shapes; ++s) {
    const Paint paint = random_paint(rng);
    const double cx = rng.uniform(0, width), cy = rng.uniform(0, height);
    const double rx = rng.uniform(0.05, 0.35) * width, ry = rng.uniform(0.05, 0.35) * height;
    switch (rng.integer(0, 2)) {
      case 0:
        canvas.rectangle(cx - rx, cy - ry, cx + rx, cy + ry, paint);
        break;
      case 1:
        canvas.ellipse(cx, cy, rx, ry, paint);
        break;
      default: {
        const Point triangle[3] = {{cx + rng.uniform(-rx, rx), cy - ry},
                                   {cx - rx, cy + ry},
                                   {cx + rx, cy + rng.uniform(-ry, ry)}};
        canvas.convex_polygon(triangle, paint);
      }
    }
  }
  canvas.add_noise(rng.next(), 3, 2, 1);  // sensor-like grain
  return canvas;
}

// ---------------------------------------------------------------------------------------------

SynthResult synth_imagenet(const SynthOptions& options) {
  static constexpr int kSizes[][2] = {{500, 375}, {375, 500}, {500, 333}, {333, 500},
                                      {500, 400}, {640, 480}, {500, 500}, {400, 300}};
  const fs::path val = options.output / "val";
  make_directories(val);
  std::vector<int> classes(static_cast<std::size_t>(options.count));
  parallel_items(options.count, options.threads, [&](int i) {
    Rng rng = Rng::for_item(options.seed, kImagenetStream, static_cast<std::uint64_t>(i));
    const auto& size = kSizes[rng.integer(0, std::size(kSizes) - 1)];
    classes[static_cast<std::size_t>(i)] = rng.integer(0, 999);
    // ImageNet has grayscale JPEGs; one in 16 here, so the gray path runs.
    const bool gray = i % 16 == 5;
    const Canvas canvas = random_scene(rng, size[0], size[1]);
    write_jpeg(val / fmt::format("ILSVRC2012_val_{:08d}.JPEG", i + 1), canvas.to_image(gray),
               rng.integer(75, 95));
  });
  std::string labels;
  for (int i = 0; i < options.count; ++i) {
    labels +=
        fmt::format("ILSVRC2012_val_{:08d}.JPEG {}\n", i + 1, classes[static_cast<std::size_t>(i)]);
  }
  const fs::path list = options.output / "val_label.txt";
  write_file_atomically(list, labels);
  return {options.count, 0, list};
}

SynthResult synth_sr(const SynthOptions& options) {
  static constexpr std::string_view kSet5[] = {"baby", "bird", "butterfly", "head", "woman"};
  make_directories(options.output);
  parallel_items(options.count, options.threads, [&](int i) {
    Rng rng = Rng::for_item(options.seed, kSrStream, static_cast<std::uint64_t>(i));
    // Set5-like: a few hundred pixels a side, usually not a multiple of the scale.
    const int width = rng.integer(180, 520) | 1;
    const int height = rng.integer(180, 520) | (i % 2);
    const std::string name = i < static_cast<int>(std::size(kSet5))
                                 ? std::string(kSet5[i])
                                 : fmt::format("image_{:03d}", i);
    write_png(options.output / (name + ".png"), random_scene(rng, width, height).to_image(), 3);
  });
  return {options.count, 0, options.output};
}

// Cityscapes label ids (labels.py of cityscapesScripts) used by the synthetic street scenes.
enum CityLabel : int {
  kUnlabeled = 0,
  kEgoVehicle = 1,
  kRectificationBorder = 2,
  kOutOfRoi = 3,
  kStatic = 4,
  kRoad = 7,
  kSidewalk = 8,
  kBuilding = 11,
  kFence = 13,
  kPole = 17,
  kTrafficLight = 19,
  kTrafficSign = 20,
  kVegetation = 21,
  kTerrain = 22,
  kSky = 23,
  kPerson = 24,
  kCar = 26,
  kTruck = 27,
  kBicycle = 33,
};

// The official color of a label, varied a little per object.
Paint city_paint(Rng& rng, int label) {
  Color base;
  switch (label) {
    case kRoad:
      base = {128, 64, 128};
      break;
    case kSidewalk:
      base = {244, 35, 232};
      break;
    case kBuilding:
      base = {70, 70, 70};
      break;
    case kFence:
      base = {190, 153, 153};
      break;
    case kPole:
      base = {153, 153, 153};
      break;
    case kTrafficLight:
      base = {250, 170, 30};
      break;
    case kTrafficSign:
      base = {220, 220, 0};
      break;
    case kVegetation:
      base = {107, 142, 35};
      break;
    case kTerrain:
      base = {152, 251, 152};
      break;
    case kSky:
      base = {70, 130, 180};
      break;
    case kPerson:
      base = {220, 20, 60};
      break;
    case kCar:
      base = {0, 0, 142};
      break;
    case kTruck:
      base = {0, 0, 70};
      break;
    case kBicycle:
      base = {119, 11, 32};
      break;
    default:
      base = {40, 40, 40};
  }
  Paint paint = random_paint(rng);
  const float shade = static_cast<float>(rng.uniform(0.7, 1.1));
  paint.color = {std::min(255.f, base.r * shade), std::min(255.f, base.g * shade),
                 std::min(255.f, base.b * shade)};
  paint.second = {paint.color.r * 0.8f, paint.color.g * 0.8f, paint.color.b * 0.8f};
  return paint;
}

void street_scene(Rng& rng, Canvas& canvas) {
  const double w = canvas.width(), h = canvas.height();
  const double horizon = h * rng.uniform(0.38, 0.5);
  canvas.rectangle(0, 0, w, horizon + 1, city_paint(rng, kSky), kSky);
  for (double x = rng.uniform(-0.1, 0) * w; x < w;) {  // a row of buildings
    const double bw = rng.uniform(0.06, 0.2) * w;
    canvas.rectangle(x, horizon - rng.uniform(0.1, 0.35) * h, x + bw, horizon + 0.05 * h,
                     city_paint(rng, kBuilding), kBuilding);
    x += bw * rng.uniform(0.8, 1.1);
  }
  for (int i = rng.integer(2, 6); i > 0; --i) {
    canvas.ellipse(rng.uniform(0, w), horizon, rng.uniform(0.03, 0.1) * w,
                   rng.uniform(0.05, 0.15) * h, city_paint(rng, kVegetation), kVegetation);
  }
  const double vanish = w * rng.uniform(0.4, 0.6);
  const Point ground[4] = {{0, horizon + 0.04 * h}, {w, horizon + 0.04 * h}, {w, h}, {0, h}};
  canvas.convex_polygon(ground, city_paint(rng, kSidewalk), kSidewalk);
  const Point road[4] = {{vanish - 0.02 * w, horizon + 0.04 * h},
                         {vanish + 0.02 * w, horizon + 0.04 * h},
                         {w * 1.1, h},
                         {-0.1 * w, h}};
  canvas.convex_polygon(road, city_paint(rng, kRoad), kRoad);
  const Point terrain[3] = {{0, horizon + 0.05 * h}, {0.12 * w, h}, {0, h}};
  canvas.convex_polygon(terrain, city_paint(rng, kTerrain), kTerrain);
  for (int i = rng.integer(1, 5); i > 0; --i) {  // vehicles, nearer ones larger and lower
    const double depth = rng.uniform(0.1, 1);
    const double cw = (0.05 + 0.15 * depth) * w, ch = cw * rng.uniform(0.45, 0.7);
    const double bottom = horizon + 0.05 * h + depth * (h - horizon) * 0.6;
    const double x = rng.uniform(0.1, 0.9) * w;
    const int label = rng.chance(0.2) ? kTruck : kCar;
    canvas.rectangle(x - cw / 2, bottom - ch, x + cw / 2, bottom, city_paint(rng, label), label);
  }
  for (int i = rng.integer(0, 6); i > 0; --i) {
    const double depth = rng.uniform(0.1, 1);
    const double ph = (0.06 + 0.2 * depth) * h;
    const double bottom = horizon + 0.05 * h + depth * (h - horizon) * 0.5;
    const int label = rng.chance(0.15) ? kBicycle : kPerson;
    canvas.ellipse(rng.uniform(0, w), bottom - ph / 2, ph * 0.18, ph / 2, city_paint(rng, label),
                   label);
  }
  for (int i = rng.integer(1, 4); i > 0; --i) {
    const double x = rng.uniform(0, w), top = horizon - rng.uniform(0.1, 0.3) * h;
    canvas.rectangle(x, top, x + 0.006 * w, horizon + 0.15 * h, city_paint(rng, kPole), kPole);
    const int label = rng.chance(0.5) ? kTrafficSign : kTrafficLight;
    canvas.rectangle(x - 0.01 * w, top, x + 0.016 * w, top + 0.04 * h, city_paint(rng, label),
                     label);
  }
  canvas.rectangle(rng.uniform(0, w), horizon, rng.uniform(0, w) + 0.1 * w, horizon + 0.03 * h,
                   city_paint(rng, kFence), kFence);
  canvas.rectangle(rng.uniform(0, w), horizon - 0.1 * h, rng.uniform(0, w), horizon,
                   city_paint(rng, kStatic), kStatic);
  // The ignored ids real label maps have: the ego vehicle's hood, the rectification border,
  // out-of-ROI corners.
  canvas.ellipse(w / 2, h * 1.05, w * 0.45, h * 0.12, city_paint(rng, kEgoVehicle), kEgoVehicle);
  canvas.rectangle(0, 0, 4, h, city_paint(rng, kRectificationBorder), kRectificationBorder);
  canvas.rectangle(w - 4, 0, w, h, city_paint(rng, kRectificationBorder), kRectificationBorder);
  canvas.rectangle(0, h - 0.03 * h, 0.05 * w, h, city_paint(rng, kOutOfRoi), kOutOfRoi);
  canvas.add_noise(rng.next(), 6, 64, 3);
  canvas.add_noise(rng.next(), 3, 2, 1);
}

SynthResult synth_cityscapes(const SynthOptions& options) {
  static constexpr std::string_view kCities[] = {"frankfurt", "lindau", "munster"};
  const int width = options.width > 0 ? options.width : 2048;
  const int height = options.height > 0 ? options.height : 1024;
  for (std::string_view city : kCities) {
    make_directories(options.output / "leftImg8bit" / "val" / city);
    make_directories(options.output / "gtFine" / "val" / city);
  }
  parallel_items(options.count, options.threads, [&](int i) {
    Rng rng = Rng::for_item(options.seed, kCityscapesStream, static_cast<std::uint64_t>(i));
    const std::string_view city = kCities[static_cast<std::size_t>(i) % std::size(kCities)];
    const std::string name = fmt::format("{}_{:06d}_{:06d}", city, i / 3, 19);
    Canvas canvas(width, height, true);
    street_scene(rng, canvas);
    write_png(options.output / "leftImg8bit" / "val" / city / (name + "_leftImg8bit.png"),
              canvas.to_image(), 1);
    write_png(options.output / "gtFine" / "val" / city / (name + "_gtFine_labelIds.png"),
              canvas.labels(kUnlabeled), 6);
  });
  return {options.count, 0, options.output / "leftImg8bit" / "val"};
}

// COCO numbers carry two decimals, like the real annotations.
double round2(double v) {
  return std::round(v * 100) / 100;
}

struct CocoObject {
  ordered_json annotation;  // without id, which is numbered once all images are made
  std::vector<Point> polygon;
};

// One object: a polygon (rectangle, ellipse or triangle) or a crowd region (an integer
// rectangle with an uncompressed RLE mask, as COCO's iscrowd annotations have).
CocoObject coco_object(Rng& rng, int width, int height, std::int64_t image_id) {
  const CocoCategory& category = kCocoCategories[rng.integer(0, 79)];
  const double bw = rng.uniform(0.05, 0.5) * width, bh = rng.uniform(0.05, 0.5) * height;
  const double x0 = rng.uniform(0, width - bw), y0 = rng.uniform(0, height - bh);
  CocoObject object;
  ordered_json& a = object.annotation;
  if (rng.chance(0.06)) {
    const int ix0 = static_cast<int>(x0), iy0 = static_cast<int>(y0);
    const int ix1 = std::min(width, ix0 + std::max(2, static_cast<int>(bw)));
    const int iy1 = std::min(height, iy0 + std::max(2, static_cast<int>(bh)));
    // Column-major runs, starting with background, as pycocotools encodes masks.
    ordered_json counts = ordered_json::array({0});
    int current = 0;
    auto run = [&](int value, int length) {
      if (length == 0) return;
      if (value == current) {
        counts.back() = counts.back().get<int>() + length;
      } else {
        counts.push_back(length);
        current = value;
      }
    };
    run(0, ix0 * height + iy0);
    for (int x = ix0; x < ix1; ++x) {
      run(1, iy1 - iy0);
      run(0, x + 1 < ix1 ? height - (iy1 - iy0) : height - iy1 + (width - ix1) * height);
    }
    object.polygon = {{double(ix0), double(iy0)},
                      {double(ix1), double(iy0)},
                      {double(ix1), double(iy1)},
                      {double(ix0), double(iy1)}};
    a["segmentation"] = {{"counts", counts}, {"size", {height, width}}};
    a["area"] = (ix1 - ix0) * (iy1 - iy0);
    a["iscrowd"] = 1;
    a["image_id"] = image_id;
    a["bbox"] = {ix0, iy0, ix1 - ix0, iy1 - iy0};
    a["category_id"] = category.id;
    return object;
  }
  const int kind = rng.integer(0, 2);
  if (kind == 0) {
    object.polygon = {{x0, y0}, {x0 + bw, y0}, {x0 + bw, y0 + bh}, {x0, y0 + bh}};
  } else if (kind == 1) {
    for (int k = 0; k < 16; ++k) {
      const double t = 2 * std::numbers::pi * k / 16;
      object.polygon.push_back(
          {x0 + bw / 2 + bw / 2 * std::cos(t), y0 + bh / 2 + bh / 2 * std::sin(t)});
    }
  } else {
    object.polygon = {{x0 + rng.uniform(0, bw), y0}, {x0 + bw, y0 + bh}, {x0, y0 + bh}};
  }
  for (Point& p : object.polygon) p = {round2(p.x), round2(p.y)};
  double area2 = 0, x_min = 1e9, y_min = 1e9, x_max = -1e9, y_max = -1e9;
  ordered_json flat = ordered_json::array();
  for (std::size_t i = 0; i < object.polygon.size(); ++i) {
    const Point& p = object.polygon[i];
    const Point& q = object.polygon[(i + 1) % object.polygon.size()];
    area2 += p.x * q.y - q.x * p.y;
    x_min = std::min(x_min, p.x), x_max = std::max(x_max, p.x);
    y_min = std::min(y_min, p.y), y_max = std::max(y_max, p.y);
    flat.push_back(p.x);
    flat.push_back(p.y);
  }
  a["segmentation"] = ordered_json::array({flat});
  a["area"] = round2(std::abs(area2) / 2);  // the polygon's area, as COCO's for polygons
  a["iscrowd"] = 0;
  a["image_id"] = image_id;
  a["bbox"] = {round2(x_min), round2(y_min), round2(x_max - x_min), round2(y_max - y_min)};
  a["category_id"] = category.id;
  return object;
}

SynthResult synth_coco(const SynthOptions& options) {
  static constexpr int kSizes[][2] = {{640, 480}, {640, 427}, {480, 640}, {640, 426},
                                      {427, 640}, {500, 375}, {640, 360}, {612, 612}};
  const fs::path images_dir = options.output / "val2017";
  make_directories(images_dir);
  make_directories(options.output / "annotations");
  // Ids rise with gaps, starting at val2017's first id.
  std::vector<std::int64_t> ids(static_cast<std::size_t>(options.count));
  Rng id_rng = Rng::for_item(options.seed, kCocoIdStream, 0);
  std::int64_t id = 139;
  for (auto& value : ids) {
    value = id;
    id += id_rng.integer(1, 300);
  }
  std::vector<ordered_json> image_entries(ids.size());
  std::vector<std::vector<ordered_json>> annotations(ids.size());
  parallel_items(options.count, options.threads, [&](int i) {
    const auto index = static_cast<std::size_t>(i);
    Rng rng = Rng::for_item(options.seed, kCocoStream, static_cast<std::uint64_t>(i));
    const auto& size = kSizes[rng.integer(0, std::size(kSizes) - 1)];
    const int width = size[0], height = size[1];
    Canvas canvas = random_scene(rng, width, height);
    // About one image in ten has no annotated object, as some of val2017 has.
    const int objects = i % 10 == 3 ? 0 : rng.integer(1, 8);
    for (int k = 0; k < objects; ++k) {
      CocoObject object = coco_object(rng, width, height, ids[index]);
      Paint paint = random_paint(rng);
      if (object.annotation["iscrowd"] == 1) paint.texture = Paint::Texture::kMottled;
      canvas.convex_polygon(object.polygon, paint);
      annotations[index].push_back(std::move(object.annotation));
    }
    const std::string file_name = fmt::format("{:012d}.jpg", ids[index]);
    write_jpeg(images_dir / file_name, canvas.to_image(), 90);
    image_entries[index] = {{"license", 1},
                            {"file_name", file_name},
                            {"coco_url", "http://images.cocodataset.org/val2017/" + file_name},
                            {"height", height},
                            {"width", width},
                            {"date_captured", "2013-11-14 17:02:52"},
                            {"id", ids[index]}};
  });
  ordered_json all_annotations = ordered_json::array();
  std::int64_t annotation_id = 1;
  for (auto& list : annotations) {
    for (ordered_json& a : list) {
      a["id"] = annotation_id++;
      all_annotations.push_back(std::move(a));
    }
  }
  ordered_json categories = ordered_json::array();
  for (const CocoCategory& c : kCocoCategories) {
    categories.push_back({{"supercategory", c.supercategory}, {"id", c.id}, {"name", c.name}});
  }
  ordered_json document = {{"info",
                            {{"description", "kiln synthetic COCO-style dataset"},
                             {"version", "1.0"},
                             {"year", 2017},
                             {"contributor", "kiln synth"},
                             {"date_created", "2017/09/01"}}},
                           {"licenses",
                            {{{"url", "https://creativecommons.org/publicdomain/zero/1.0/"},
                              {"id", 1},
                              {"name", "CC0"}}}},
                           {"images", image_entries},
                           {"annotations", all_annotations},
                           {"categories", categories}};
  const fs::path json_path = options.output / "annotations" / "instances_val2017.json";
  write_file_atomically(json_path, document.dump() + "\n");
  return {options.count, static_cast<int>(annotation_id - 1), json_path};
}

// Refuses a directory of someone else's files (a real val_label.txt would be replaced without a
// word), then marks the directory as kiln synth's.
void claim_output_directory(const SynthOptions& options) {
  const fs::path& dir = options.output;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw_user_error("-o '{}' is a file, not a directory", dir.string());
  }
  if (fs::is_directory(dir, ec) && !options.overwrite && !fs::exists(dir / kSynthMarker, ec)) {
    fs::directory_iterator it(dir, ec);
    if (ec) throw_user_error("cannot read '{}': {}", dir.string(), ec.message());
    if (it != fs::directory_iterator()) {
      throw_user_error(
          "-o '{}' is not empty and kiln synth did not write it (it holds '{}'); give a new or "
          "empty directory, or --overwrite to replace files of the same names",
          dir.string(), it->path().filename().string());
    }
  }
  make_directories(dir);
  write_file_atomically(dir / kSynthMarker,
                        fmt::format("kiln synth {} --count {} --seed {}\n", task_name(options.task),
                                    options.count, options.seed));
}

}  // namespace

std::span<const CocoCategory> coco_categories() {
  return kCocoCategories;
}

SynthResult synth_dataset(const SynthOptions& options) {
  if (options.count <= 0) throw_user_error("--count must be positive, got {}", options.count);
  if (options.width < 0 || options.height < 0 || options.width > 16384 || options.height > 16384) {
    throw_user_error("--size {}x{} is out of range", options.width, options.height);
  }
  claim_output_directory(options);
  switch (options.task) {
    case Task::kImagenet:
      return synth_imagenet(options);
    case Task::kSr:
      return synth_sr(options);
    case Task::kCityscapes:
      return synth_cityscapes(options);
    case Task::kCoco:
      return synth_coco(options);
  }
  throw_internal_error("unknown task");
}

}  // namespace kiln::data
