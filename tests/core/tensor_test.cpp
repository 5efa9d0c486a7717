#include "kiln/core/tensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>

#include "kiln/core/file_io.h"
#include "kiln/core/npy.h"

namespace kiln {
namespace {

TEST(Shape, NumelStridesAndText) {
  Shape s{2, 3, 4};
  EXPECT_EQ(s.numel(), 24);
  EXPECT_EQ(s.strides(), (std::vector<std::int64_t>{12, 4, 1}));
  EXPECT_EQ(s.to_string(), "[2,3,4]");
  EXPECT_EQ(Shape{}.numel(), 1);
  EXPECT_EQ(Shape{}.to_string(), "[]");
}

TEST(Shape, Broadcast) {
  EXPECT_EQ(broadcast_shapes(Shape{2, 1, 3}, Shape{4, 1}), (Shape{2, 4, 3}));
  EXPECT_EQ(broadcast_shapes(Shape{}, Shape{5}), (Shape{5}));
  EXPECT_THROW(broadcast_shapes(Shape{2, 3}, Shape{4}), Error);
}

TEST(Shape, NormalizeAxis) {
  EXPECT_EQ(normalize_axis(-1, 4, "axis"), 3);
  EXPECT_EQ(normalize_axis(2, 4, "axis"), 2);
  EXPECT_THROW(normalize_axis(4, 4, "axis"), Error);
  EXPECT_THROW(normalize_axis(-5, 4, "axis"), Error);
}

TEST(Tensor, OwnedIsAlignedAndZeroed) {
  Tensor t(DType::kFloat32, Shape{3, 5});
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.raw()) % kTensorAlignment, 0u);
  for (float v : t.span<float>()) EXPECT_EQ(v, 0.f);
  EXPECT_EQ(t.size_bytes(), 60u);
  EXPECT_EQ(t.description(), "float32[3,5]");
}

TEST(Tensor, CopiesShareCloneDoesNot) {
  Tensor a(DType::kInt64, Shape{2});
  Tensor b = a;
  Tensor c = a.clone();
  a.data<std::int64_t>()[0] = 7;
  EXPECT_EQ(b.data<std::int64_t>()[0], 7);
  EXPECT_EQ(c.data<std::int64_t>()[0], 0);
}

TEST(Tensor, WrongDtypeAccessIsAnInternalError) {
  Tensor t(DType::kFloat32, Shape{1});
  try {
    t.data<std::int64_t>();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal);
  }
}

TEST(Tensor, ConversionsAndReshape) {
  Tensor t(DType::kFloat16, Shape{2, 2});
  auto* h = static_cast<std::uint16_t*>(t.raw());
  h[0] = float_to_half(1.5f);
  h[3] = float_to_half(-2.f);
  Tensor f = t.to_float32();
  EXPECT_EQ(f.data<float>()[0], 1.5f);
  EXPECT_EQ(f.data<float>()[3], -2.f);
  EXPECT_EQ(f.to_int64_vector(), (std::vector<std::int64_t>{1, 0, 0, -2}));
  EXPECT_EQ(f.reshaped(Shape{4}).shape(), Shape{4});
  EXPECT_THROW(f.reshaped(Shape{3}), Error);
}

class NpyTest : public ::testing::Test {
 protected:
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("kiln_npy_test_" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
};

TEST_F(NpyTest, RoundTripsEveryDtype) {
  for (DType d : {DType::kFloat32, DType::kFloat16, DType::kFloat64, DType::kInt64, DType::kInt32,
                  DType::kInt8, DType::kUInt8, DType::kBool}) {
    Tensor t(d, Shape{2, 3});
    auto* bytes = static_cast<std::uint8_t*>(t.raw());
    for (std::size_t i = 0; i < t.size_bytes(); ++i) bytes[i] = static_cast<std::uint8_t>(i % 2);
    const auto path = dir_ / "t.npy";
    write_npy(path, t);
    Tensor back = read_npy(path);
    EXPECT_EQ(back.dtype(), d);
    EXPECT_EQ(back.shape(), t.shape());
    EXPECT_EQ(std::memcmp(back.raw(), t.raw(), t.size_bytes()), 0);
  }
}

TEST_F(NpyTest, ScalarAndOneDimensionalShapes) {
  Tensor scalar(DType::kFloat32, Shape{});
  Tensor vector(DType::kFloat32, Shape{3});
  EXPECT_NE(format_npy(vector).find("(3,)"), std::string::npos);
  EXPECT_EQ(parse_npy(format_npy(scalar), "s").shape(), Shape{});
  EXPECT_EQ(parse_npy(format_npy(vector), "v").shape(), Shape{3});
  // The header is padded so the data starts 64-byte aligned, as numpy does.
  EXPECT_EQ((format_npy(vector).size() - 12) % 64, 0u);
}

TEST_F(NpyTest, BadFilesNameTheFile) {
  Tensor t(DType::kFloat32, Shape{4});
  std::string bytes = format_npy(t);
  auto expect_error = [](const std::string& data, const std::string& fragment) {
    try {
      parse_npy(data, "bad.npy");
      ADD_FAILURE() << "expected an error for " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("bad.npy"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error("hello", "not a .npy");
  expect_error(bytes.substr(0, bytes.size() - 3), "expected 16");
  std::string big_endian = bytes;
  big_endian.replace(big_endian.find("<f4"), 3, ">f4");
  expect_error(big_endian, "big-endian");
  EXPECT_THROW(read_npy(dir_ / "missing.npy"), Error);
}

/// A version 1.0 .npy file with `header` (padded as numpy pads it) and `data_bytes` zero bytes.
std::string npy_with_header(std::string header, std::size_t data_bytes) {
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  return out + header + std::string(data_bytes, '\0');
}

std::string npy_error(const std::string& bytes) {
  try {
    parse_npy(bytes, "bad.npy");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUser);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST_F(NpyTest, ReadsTheHeadersNumpyWrites) {
  // Byte for byte what np.save writes for np.zeros((2, 3), np.float32) and np.zeros(3, np.uint8).
  const Tensor matrix = parse_npy(
      npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24), "m");
  EXPECT_EQ(matrix.shape(), (Shape{2, 3}));
  EXPECT_EQ(matrix.dtype(), DType::kFloat32);
  const Tensor vector = parse_npy(
      npy_with_header("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", 3), "v");
  EXPECT_EQ(vector.shape(), Shape{3});
  // Keys in another order, no spaces.
  const Tensor reordered =
      parse_npy(npy_with_header("{'shape':(1,2),'fortran_order':False,'descr':'<i8'}", 16), "r");
  EXPECT_EQ(reordered.shape(), (Shape{1, 2}));
  EXPECT_EQ(reordered.dtype(), DType::kInt64);
}

TEST_F(NpyTest, LyingShapesAreErrorsNotOtherShapes) {
  const auto with_shape = [](const std::string& shape) {
    return npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }",
                           4 * 3 * 224 * 224);
  };
  EXPECT_THAT(npy_error(with_shape("(-1, 3, 224, 224)")),
              ::testing::HasSubstr("has '-1', not a non-negative 64-bit integer"));
  EXPECT_THAT(npy_error(with_shape("(1.0, 3, 224, 224)")), ::testing::HasSubstr("'1.0'"));
  EXPECT_THAT(npy_error(with_shape("(1,,3)")), ::testing::HasSubstr("has ''"));
  EXPECT_THAT(npy_error(with_shape("(99999999999999999999, 3)")),
              ::testing::HasSubstr("99999999999999999999"));
  EXPECT_THAT(npy_error(with_shape("(4611686018427387905, 3, 224, 224)")),
              ::testing::HasSubstr("overflows 64 bits"));
  EXPECT_THAT(npy_error(with_shape("(4611686018427387905,)")),
              ::testing::HasSubstr("over the limit"));
  EXPECT_THAT(npy_error(with_shape("(3)")), ::testing::HasSubstr("not a tuple"));
  EXPECT_THAT(npy_error(with_shape("[1, 3]")), ::testing::HasSubstr("not a tuple"));
  EXPECT_THAT(npy_error(with_shape("(1, 3")), ::testing::HasSubstr("not closed"));
  EXPECT_THAT(npy_error(npy_with_header("{'descr': '<f4', 'shape': (1,), }", 4)),
              ::testing::HasSubstr("no fortran_order"));
  EXPECT_THAT(
      npy_error(npy_with_header("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", 4)),
      ::testing::HasSubstr("not True or False"));
}

TEST_F(NpyTest, AtomicWriteLeavesNoTemporaryAndKeepsOldFileOnFailure) {
  const auto path = dir_ / "out.bin";
  write_file_atomically(path, "first");
  EXPECT_EQ(read_file(path), "first");
  write_file_atomically(path, "second");
  EXPECT_EQ(read_file(path), "second");
  std::size_t entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_)) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1u);
  EXPECT_THROW(write_file_atomically(dir_ / "no_such_dir" / "x", "data"), Error);
}

}  // namespace
}  // namespace kiln
