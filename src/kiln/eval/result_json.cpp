// result.json writing and the number formatting of the seeds' Python postprocess scripts, so that
// kiln's "79.43%" is the very text imagenet_acc_eval.py would have written.

#include "kiln/eval/result_json.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "kiln/core/error.h"
#include "kiln/core/file_io.h"

namespace kiln::eval {

std::string format_result_json(const Report& report) {
  nlohmann::ordered_json document;
  document["title"] = "Overall statistical evaluation";
  document["value"] = nlohmann::ordered_json::array();
  for (const ResultRow& row : report.rows) {
    document["value"].push_back({{"key", row.key}, {"value", row.value}});
  }
  nlohmann::ordered_json metrics = nlohmann::ordered_json::parse(report.metrics_json);
  KILN_CHECK(metrics.is_object(), "metrics must be a JSON object, got '{}'", report.metrics_json);
  document["metrics"] = std::move(metrics);
  return document.dump(4) + "\n";
}

void write_result_json(const std::filesystem::path& path, const Report& report) {
  write_file_atomically(path, format_result_json(report));
}

std::string python_float_str(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // fmt's "{}" is the shortest round-trip text, as Python's repr; Python adds ".0" to integers.
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";
  return text;
}

double python_round(double value, int ndigits) {
  if (!std::isfinite(value)) return value;
  // Python rounds the exact binary value to ndigits decimals (half to even) and reads it back;
  // glibc's printf is exact in the same way.
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, "%.*f", ndigits, value);
  return std::strtod(buffer, nullptr);
}

double numpy_around(double value, int decimals) {
  const double factor = std::pow(10.0, decimals);
  return std::nearbyint(value * factor) / factor;
}

}  // namespace kiln::eval
