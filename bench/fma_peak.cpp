// The machine's fp32 peak, measured: every thread runs independent chains of fused multiply-adds
// on the widest vectors the CPU has (AVX-512, AVX2+FMA, or SSE as a floor), enough chains to hide
// the FMA latency, for a fixed time. Reports GFLOP/s (one FMA = 2 FLOP) per thread count, so a
// benchmark can say "% of the fp32 peak" measured in the same run.
//
//   build/release/bench/fma_peak [--threads N] [--seconds S] [--json]

#include <immintrin.h>
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// 12 accumulators: FMA latency 4 cycles x 2 ports (plus slack) independent chains per thread.
constexpr int kChains = 12;
constexpr long kInnerIterations = 1 << 16;

__attribute__((target("avx512f"))) double run_avx512(long outer, float seed) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(seed + static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long o = 0; o < outer; ++o) {
    for (long it = 0; it < kInnerIterations; ++it) {
      for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    }
  }
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx2,fma"))) double run_avx2(long outer, float seed) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(seed + static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long o = 0; o < outer; ++o) {
    for (long it = 0; it < kInnerIterations; ++it) {
      for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    }
  }
  float lanes[8];
  __m256 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm256_add_ps(sum, acc[i]);
  _mm256_storeu_ps(lanes, sum);
  double total = 0;
  for (float lane : lanes) total += lane;
  return total;
}

// No FMA: a multiply and an add, counted as the 2 FLOP they are.
double run_sse(long outer, float seed) {
  __m128 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm_set1_ps(seed + static_cast<float>(i));
  const __m128 a = _mm_set1_ps(0.999999f), b = _mm_set1_ps(1e-7f);
  for (long o = 0; o < outer; ++o) {
    for (long it = 0; it < kInnerIterations; ++it) {
      for (int i = 0; i < kChains; ++i) acc[i] = _mm_add_ps(_mm_mul_ps(acc[i], a), b);
    }
  }
  float lanes[4];
  __m128 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm_add_ps(sum, acc[i]);
  _mm_storeu_ps(lanes, sum);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

struct Isa {
  const char* name;
  int lanes;
  double (*run)(long, float);
};

Isa best_isa() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return {"avx512", 16, run_avx512};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    return {"avx2+fma", 8, run_avx2};
  }
  return {"sse", 4, run_sse};
}

// GFLOP/s of `threads` threads each running `isa` for about `seconds`.
double measure(const Isa& isa, int threads, double seconds, double* checksum) {
  using clock = std::chrono::steady_clock;
  // Calibrate the outer count on one thread so each thread runs about `seconds`.
  long outer = 1;
  for (;;) {
    const auto start = clock::now();
    *checksum += isa.run(outer, 1.0f);
    const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    if (elapsed > 0.05) {
      outer = std::max(1L, static_cast<long>(static_cast<double>(outer) * seconds / elapsed));
      break;
    }
    outer *= 2;
  }
  double sum = 0;
  const auto start = clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : sum)
  sum += isa.run(outer, 1.0f + static_cast<float>(omp_get_thread_num()));
  const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
  *checksum += sum;
  const double flop = 2.0 * isa.lanes * kChains * static_cast<double>(kInnerIterations) *
                      static_cast<double>(outer) * threads;
  return flop / elapsed / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = omp_get_num_procs();
  double seconds = 1.0;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (!std::strcmp(argv[i], "--json")) {
      json = true;
    } else {
      std::fprintf(stderr, "usage: fma_peak [--threads N] [--seconds S] [--json]\n");
      return 1;
    }
  }
  if (threads < 1 || !(seconds > 0 && seconds < 3600)) {
    std::fprintf(stderr, "fma_peak: --threads must be >= 1 and --seconds in (0, 3600)\n");
    return 1;
  }
  const Isa isa = best_isa();
  double checksum = 0;
  const double gflops = measure(isa, threads, seconds, &checksum);
  if (json) {
    std::printf("{\"isa\": \"%s\", \"threads\": %d, \"gflops\": %.1f}\n", isa.name, threads,
                gflops);
  } else {
    std::printf("fp32 peak: %.1f GFLOP/s on %d thread(s), %s FMA (checksum %g)\n", gflops, threads,
                isa.name, checksum);
  }
  return 0;
}
