// The seeds' result.json (title + key/value rows, values as the reference scripts print them)
// plus a machine-friendly section, and the number formatting those scripts use.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::eval {

/// One row of the guides' "value" list: {"key": "Top1 accuracy", "value": "79.43%"}.
struct ResultRow {
  std::string key;
  std::string value;
};

/// What one `kiln eval` task produces: the guides' rows, a machine-friendly JSON object with the
/// same figures as numbers (and details such as per-class or per-image values), and a table for
/// people.
struct Report {
  std::vector<ResultRow> rows;
  std::string metrics_json = "{}";  ///< serialized JSON object, stored under "metrics"
  std::string table;                ///< printed to stdout
};

/// {"title": "Overall statistical evaluation", "value": [rows], "metrics": {...}} as text.
std::string format_result_json(const Report& report);

/// Writes format_result_json() atomically (temporary file + rename).
void write_result_json(const std::filesystem::path& path, const Report& report);

/// Python's str(float): the shortest text that reads back as `value`, with ".0" on integral
/// values, "inf", "-inf" and "nan" as Python prints them.
std::string python_float_str(double value);

/// Python's round(value, ndigits): correctly rounded (half to even on the exact binary value).
double python_round(double value, int ndigits);

/// numpy's np.around(value, decimals): rint(value * 10^decimals) / 10^decimals.
double numpy_around(double value, int decimals);

}  // namespace kiln::eval
