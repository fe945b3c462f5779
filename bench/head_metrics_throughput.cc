// Bytes of attention per second through head_metrics' streaming path: one random causal
// softmax record [layers, heads, L, L] is generated, then written `sequences` times
// through a pipe while ComputeHeadMetrics reads the other end, as in
// `dump_attention | head_metrics`.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "gflags/gflags.h"
#include "lib/analysis/head_metrics.h"
#include "lib/analysis/parallel_for.h"
#include "lib/io/npy.h"
#include "lib/runtime/progress.h"
#include "lib/runtime/tool.h"
#include "tools/tool_main.h"

DEFINE_int32(layers, 12, "layers per record");
DEFINE_int32(heads, 8, "heads per layer");
DEFINE_int32(length, 1024, "sequence length L");
DEFINE_int32(sequences, 4, "records streamed");

int main(int argc, char** argv) {
  attn::tools::InitMain(&argc, &argv, "head_metrics_throughput [--sequences=4] [--threads=N]");
  const int64_t n = FLAGS_length, matrices = int64_t{FLAGS_layers} * FLAGS_heads;
  const std::vector<int64_t> shape = {FLAGS_layers, FLAGS_heads, n, n};
  std::vector<float> record(static_cast<size_t>(matrices * n * n), 0.0f);
  attn::analysis::ParallelFor(matrices, attn::runtime::Threads(), [&](int64_t begin, int64_t end) {
    std::mt19937_64 rng(begin);
    std::normal_distribution<float> logit(0, 2);
    std::vector<double> e(n);
    for (int64_t m = begin; m < end; ++m) {
      for (int64_t i = 0; i < n; ++i) {
        double sum = 0;
        for (int64_t j = 0; j <= i; ++j) sum += e[j] = std::exp(logit(rng));
        float* row = record.data() + (m * n + i) * n;
        for (int64_t j = 0; j <= i; ++j) row[j] = static_cast<float>(e[j] / sum);
      }
    }
  });
  int fds[2];
  if (pipe(fds) != 0) return attn::runtime::kExitFailure;
  std::thread writer([&] {
    FILE* out = fdopen(fds[1], "wb");
    for (int s = 0; s < FLAGS_sequences; ++s) {
      if (!attn::io::WriteNpyRecord(out, record.data(), shape).ok()) break;
    }
    std::fclose(out);
  });
  FILE* in = fdopen(fds[0], "rb");
  attn::io::NpyStreamReader reader(in, "pipe");
  attn::analysis::MeasureOptions options;
  options.threads = attn::runtime::Threads();
  // CPU time as well as wall time: on a shared machine the wall time mostly measures the
  // neighbours. The CPU time includes the writer thread's share of the pipe copies.
  const std::clock_t cpu_start = std::clock();
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<attn::analysis::HeadMetrics>> heads =
      attn::analysis::ComputeHeadMetrics(&reader, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  writer.join();
  std::fclose(in);
  if (!heads.ok()) return attn::runtime::Fail(heads.status());
  const double bytes = static_cast<double>(reader.bytes_read());
  std::printf("head_metrics: %d x [%d, %d, %lld, %lld] float32 = %s in %.2f s with %d threads: "
              "%s/s; %.2f CPU s (%s per CPU second)\n",
              FLAGS_sequences, FLAGS_layers, FLAGS_heads, static_cast<long long>(n),
              static_cast<long long>(n), attn::runtime::Progress::FormatBytes(bytes).c_str(),
              seconds, options.threads, attn::runtime::Progress::FormatBytes(bytes / seconds).c_str(),
              cpu_seconds, attn::runtime::Progress::FormatBytes(bytes / cpu_seconds).c_str());
  return attn::runtime::kExitOk;
}
