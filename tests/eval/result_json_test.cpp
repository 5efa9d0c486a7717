// Number formatting of the seeds' scripts (Python's str/round, numpy's around) and the
// result.json layout.

#include "kiln/eval/result_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace kiln::eval {
namespace {

TEST(PythonFloatStr, ShortestTextWithPointZeroOnIntegers) {
  EXPECT_EQ(python_float_str(79.43), "79.43");
  EXPECT_EQ(python_float_str(95.4), "95.4");
  EXPECT_EQ(python_float_str(100.0), "100.0");
  EXPECT_EQ(python_float_str(0.0), "0.0");
  EXPECT_EQ(python_float_str(-3.0), "-3.0");
  EXPECT_EQ(python_float_str(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float_str(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(python_float_str(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(python_float_str(std::nan("")), "nan");
}

TEST(PythonRound, RoundsTheExactBinaryValueHalfToEven) {
  EXPECT_EQ(python_round(0.125, 2), 0.12);  // exactly representable tie: to even
  EXPECT_EQ(python_round(0.375, 2), 0.38);
  EXPECT_EQ(python_round(2.675, 2), 2.67);  // 2.675 is 2.67499999... in binary
  EXPECT_EQ(python_round(79.4321, 2), 79.43);
  // 0.7943 * 100 is 79.42999999999999 in floating point; round(, 2) gives 79.43.
  EXPECT_EQ(python_float_str(python_round(0.7943 * 100, 2)), "79.43");
}

TEST(NumpyAround, ScalesRintsAndDivides) {
  EXPECT_EQ(numpy_around(38.274, 2), 38.27);
  EXPECT_EQ(numpy_around(0.125, 2), 0.12);  // rint(12.5) = 12
  EXPECT_EQ(numpy_around(0.135, 2), std::nearbyint(0.135 * 100) / 100);
  EXPECT_EQ(python_float_str(numpy_around(38.9, 2)), "38.9");
}

TEST(ResultJson, GuideShapePlusMetrics) {
  Report report;
  report.rows = {{"Number of images", "5"}, {"Top1 accuracy", "80.0%"}};
  report.metrics_json = R"({"task": "topk", "top1": 0.8})";
  const std::string text = format_result_json(report);
  EXPECT_EQ(text,
            "{\n"
            "    \"title\": \"Overall statistical evaluation\",\n"
            "    \"value\": [\n"
            "        {\n"
            "            \"key\": \"Number of images\",\n"
            "            \"value\": \"5\"\n"
            "        },\n"
            "        {\n"
            "            \"key\": \"Top1 accuracy\",\n"
            "            \"value\": \"80.0%\"\n"
            "        }\n"
            "    ],\n"
            "    \"metrics\": {\n"
            "        \"task\": \"topk\",\n"
            "        \"top1\": 0.8\n"
            "    }\n"
            "}\n");
}

}  // namespace
}  // namespace kiln::eval
