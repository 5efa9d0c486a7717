#include "kiln/bench/dataset_pipeline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "bench/bench_test_support.h"
#include "kiln/core/error.h"
#include "kiln/core/file_io.h"

namespace kiln::bench {
namespace {

namespace fs = std::filesystem;
using testing::fresh_directory;
using testing::two_output_session;
using testing::write_samples;

// What Session::run gives for one sample, at batch 1.
std::vector<Tensor> expected_outputs(const Tensor& sample) {
  Session single = two_output_session(1);
  return single.run(std::vector<Tensor>{sample.reshaped(Shape{1, 2, 3})});
}

Tensor read_bin(const fs::path& path, Shape shape) {
  const std::string bytes = read_file(path);
  Tensor t(DType::kFloat32, shape);
  EXPECT_EQ(bytes.size(), t.size_bytes()) << path;
  std::memcpy(t.raw(), bytes.data(), std::min(bytes.size(), t.size_bytes()));
  return t;
}

// Runs `body` on another thread and fails (instead of hanging the suite) if it takes too long.
template <typename Body>
auto with_timeout(Body body) {
  auto future = std::async(std::launch::async, body);
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "the pipeline hung";
    std::abort();  // a hung pipeline thread cannot be joined; end the test binary loudly
  }
  return future.get();
}

// The error a run ends with, or "no error"; within the timeout.
std::string error_of_run(Session& session, const std::vector<DatasetSample>& dataset,
                         const DatasetRunOptions& options) {
  return with_timeout([&]() -> std::string {
    try {
      run_dataset(session, dataset, options);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  });
}

TEST(DatasetPipeline, WritesEveryOutputEqualToSessionRunWithAPartialLastBatch) {
  const fs::path dir = fresh_directory("outputs");
  const std::vector<Tensor> samples = write_samples(dir / "in", 11);
  Session session = two_output_session(4);
  DatasetRunOptions options;
  options.output_dir = dir / "out";
  const DatasetRunReport report =
      run_dataset(session, list_dataset({(dir / "in").string()}, session.inputs()), options);

  EXPECT_EQ(report.samples_total, 11u);
  EXPECT_EQ(report.samples_run, 11u);
  EXPECT_EQ(report.padded_samples, 1u);  // 4 + 4 + 3
  EXPECT_EQ(report.inference_ms.size(), 3u);
  ASSERT_EQ(report.stages.size(), 5u);
  for (const StageReport& stage : report.stages) {
    EXPECT_EQ(stage.samples, 11u) << stage.name;
    EXPECT_EQ(stage.batches, 3u) << stage.name;
    EXPECT_LE(stage.busy_seconds, report.wall_seconds) << stage.name;
  }
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(options.output_dir)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 11u * 2 + 1);  // two outputs per sample, and outputs.json
  for (int i = 0; i < 11; ++i) {
    const std::vector<Tensor> expected = expected_outputs(samples[static_cast<std::size_t>(i)]);
    for (int k = 0; k < 2; ++k) {
      const fs::path path = options.output_dir / fmt::format("sample_{:03}_{}.bin", i, k + 1);
      kiln::testing::expect_tensor_near(read_bin(path, Shape{2, 3}),
                                        expected[static_cast<std::size_t>(k)].reshaped(Shape{2, 3}),
                                        0, 0);
    }
  }
}

TEST(DatasetPipeline, ResumeSkipsCompleteOutputsAndRedoesTruncatedOnes) {
  const fs::path dir = fresh_directory("resume");
  write_samples(dir / "in", 6);
  Session session = two_output_session(2);
  const auto dataset = list_dataset({(dir / "in").string()}, session.inputs());
  DatasetRunOptions options;
  options.output_dir = dir / "out";
  // An interrupted run: the stop flag rises after the first batch is read.
  std::atomic<bool> stop{false};
  options.stop = &stop;
  options.before_read = [&](std::size_t batch) {
    if (batch == 1) stop = true;
  };
  const DatasetRunReport first = run_dataset(session, dataset, options);
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.samples_run, 2u);
  EXPECT_TRUE(fs::exists(options.output_dir / "sample_001_2.bin"));
  EXPECT_FALSE(fs::exists(options.output_dir / "sample_002_1.bin"));
  // A file cut short (say, by a full disk in an older tool) is not complete.
  write_file_atomically(options.output_dir / "sample_001_2.bin", "xx");

  options.stop = nullptr;
  options.before_read = nullptr;
  options.resume = true;
  const DatasetRunReport second = run_dataset(session, dataset, options);
  EXPECT_FALSE(second.interrupted);
  EXPECT_EQ(second.samples_skipped, 1u);  // sample_000 only
  EXPECT_EQ(second.samples_run, 5u);
  EXPECT_EQ(fs::file_size(options.output_dir / "sample_001_2.bin"), 24u);
  for (const auto& entry : fs::directory_iterator(options.output_dir)) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

TEST(DatasetPipeline, ResumeRefusesADirectoryOfAnotherModelsOutputs) {
  const fs::path dir = fresh_directory("resume_other");
  write_samples(dir / "in", 2);
  Session session = two_output_session(1);
  DatasetRunOptions options;
  options.output_dir = dir / "out";
  run_dataset(session, list_dataset({(dir / "in").string()}, session.inputs()), options);
  options.resume = true;
  options.format = OutputFormat::kNpy;
  try {
    run_dataset(session, list_dataset({(dir / "in").string()}, session.inputs()), options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("outputs of another --outfmt"), std::string::npos)
        << e.what();
  }
}

TEST(DatasetPipeline, ASlowWriterKeepsEveryQueueWithinItsBound) {
  const fs::path dir = fresh_directory("bounded");
  write_samples(dir / "in", 40);
  Session session = two_output_session(1);
  DatasetRunOptions options;
  options.output_dir = dir / "out";
  options.queue_capacity = 3;
  options.before_write = [](std::size_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  const DatasetRunReport report = with_timeout([&] {
    return run_dataset(session, list_dataset({(dir / "in").string()}, session.inputs()), options);
  });
  EXPECT_EQ(report.samples_run, 40u);
  ASSERT_EQ(report.queue_peaks.size(), 4u);
  for (std::size_t peak : report.queue_peaks) EXPECT_LE(peak, 3u);
  // The reader is fast and the writer slow, so the queue before the writer fills up: the bound
  // is what stopped the reader, not a lucky schedule.
  EXPECT_EQ(report.queue_peaks.back(), 3u);
}

// An error in any stage ends the whole run with that error; nothing hangs.
TEST(DatasetPipeline, AnErrorInAnyStageEndsTheRunWithThatError) {
  const fs::path dir = fresh_directory("errors");
  write_samples(dir / "in", 30);
  Session session = two_output_session(2);
  const auto dataset = list_dataset({(dir / "in").string()}, session.inputs());

  // Read: a sample file of the wrong size, in the middle of the dataset.
  write_file_atomically(dir / "in" / "sample_017.bin", "short");
  DatasetRunOptions options;
  options.output_dir = dir / "out_read";
  options.queue_capacity = 1;
  const std::string read_error = error_of_run(session, dataset, options);
  EXPECT_NE(read_error.find("sample_017.bin' has 5 bytes"), std::string::npos) << read_error;
  EXPECT_NE(read_error.find("24 bytes"), std::string::npos) << read_error;
  EXPECT_TRUE(fs::exists(options.output_dir / "sample_000_1.bin"));  // earlier batches kept

  // Write: the writer fails while the reader is blocked on a full queue.
  write_samples(dir / "in", 30);
  options.output_dir = dir / "out_write";
  options.before_write = [](std::size_t batch) {
    if (batch == 2) throw_user_error("disk full while writing batch {}", batch);
  };
  const std::string write_error = error_of_run(session, dataset, options);
  EXPECT_NE(write_error.find("disk full while writing batch 2"), std::string::npos) << write_error;
}

TEST(DatasetPipeline, WritesNpyAndTextOutputs) {
  const fs::path dir = fresh_directory("formats");
  const std::vector<Tensor> samples = write_samples(dir / "in", 3, /*npy=*/true);
  Session session = two_output_session(2);
  DatasetRunOptions options;
  options.output_dir = dir / "npy";
  options.format = OutputFormat::kNpy;
  run_dataset(session, list_dataset({(dir / "in").string()}, session.inputs()), options);
  const Tensor scaled = read_npy(options.output_dir / "sample_002_2.npy");
  EXPECT_EQ(scaled.shape(), (Shape{2, 3}));
  EXPECT_FLOAT_EQ(scaled.data<float>()[4], 3.f * samples[2].data<float>()[4]);

  options.output_dir = dir / "txt";
  options.format = OutputFormat::kTxt;
  run_dataset(session, list_dataset({(dir / "in").string()}, session.inputs()), options);
  const std::string text = read_file(options.output_dir / "sample_000_1.txt");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);  // one line per innermost row
  std::istringstream values(text);
  for (int i = 0; i < 6; ++i) {
    float v = -1;
    values >> v;
    EXPECT_EQ(v, std::max(0.f, samples[0].data<float>()[i]));  // shortest round-trip text
  }
}

}  // namespace
}  // namespace kiln::bench
