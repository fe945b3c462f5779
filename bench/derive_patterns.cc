// derive_patterns at the size: 96 heads (12 layers x 8) x 10 sequences x 1024^2 of
// planted attention (the built-ins local8, local16, strided, global and dense, head h of
// every layer taking built-in h mod 5, with 5% noise), one cluster per built-in. Reports
// separately the time to read the stream (parsing it and summing each head into its cluster;
// the records are served from memory, so this is the reader's own work, not a writer's or a
// disk's) and the time to fit the clusters' patterns.
//   bazel run //bench:derive_patterns -- --threads=2
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "gflags/gflags.h"
#include "lib/analysis/parallel_for.h"
#include "lib/io/csv.h"
#include "lib/io/npy.h"
#include "lib/model/attention_patterns.h"
#include "lib/runtime/progress.h"
#include "lib/runtime/tool.h"
#include "lib/study/cluster_attention.h"
#include "lib/study/derive_patterns.h"
#include "lib/study/planted_attention.h"
#include "tools/tool_main.h"

DEFINE_int32(layers, 12, "layers per record");
DEFINE_int32(heads, 8, "heads per layer");
DEFINE_int32(length, 1024, "sequence length L");
DEFINE_int32(sequences, 10, "records streamed");
DEFINE_double(coverage, 0.9, "coverage target of the fit");

namespace {

// A read-only stream of `copies` .npy records (header + data) served from one copy in memory.
struct RepeatedRecord {
  std::string header;
  const char* data;
  size_t data_size;
  size_t copies;
  size_t offset = 0;  // within the whole stream

  FILE* Open() {
    cookie_io_functions_t io = {};
    io.read = [](void* cookie, char* buf, size_t size) -> ssize_t {
      auto* r = static_cast<RepeatedRecord*>(cookie);
      const size_t record = r->header.size() + r->data_size;
      size_t done = 0;
      while (done < size && r->offset < record * r->copies) {
        const size_t at = r->offset % record;
        const char* from = at < r->header.size() ? r->header.data() + at : r->data + (at - r->header.size());
        const size_t left = at < r->header.size() ? r->header.size() - at : record - at;
        const size_t n = std::min(left, size - done);
        std::memcpy(buf + done, from, n);
        done += n;
        r->offset += n;
      }
      return static_cast<ssize_t>(done);
    };
    return fopencookie(this, "rb", io);
  }
};

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  attn::tools::InitMain(&argc, &argv, "derive_patterns [--sequences=10] [--threads=N]");
  using attn::runtime::Progress;
  const int threads = attn::runtime::Threads();
  const int64_t n = FLAGS_length, matrices = int64_t{FLAGS_layers} * FLAGS_heads;
  const std::vector<std::string>& builtins = attn::model::BuiltinPatternNames();
  const int64_t kinds = static_cast<int64_t>(builtins.size());

  // One record of planted heads, streamed `sequences` times.
  std::vector<float> record(static_cast<size_t>(matrices * n * n));
  attn::analysis::ParallelFor(matrices, threads, [&](int64_t begin, int64_t end) {
    for (int64_t m = begin; m < end; ++m) {
      const std::vector<float> a =
          attn::study::PlantedAttention(*attn::model::BuiltinPattern(builtins[(m % FLAGS_heads) % kinds]), n, 0.05, m);
      std::copy(a.begin(), a.end(), record.begin() + m * n * n);
    }
  });
  attn::io::Table table;
  table.source = "planted";
  table.header = {"layer", "head", "cluster"};
  for (int64_t m = 0; m < matrices; ++m) {
    table.rows.push_back({std::to_string(m / FLAGS_heads), std::to_string(m % FLAGS_heads),
                          std::to_string((m % FLAGS_heads) % kinds)});
  }
  absl::StatusOr<attn::study::HeadClusters> clusters = attn::study::ParseHeadClusters(table);
  if (!clusters.ok()) return attn::runtime::Fail(clusters.status());

  const std::vector<int64_t> shape = {FLAGS_layers, FLAGS_heads, n, n};
  RepeatedRecord stream{attn::io::NpyFloat32Header(shape),
                        reinterpret_cast<const char*>(record.data()), record.size() * sizeof(float),
                        static_cast<size_t>(FLAGS_sequences)};
  FILE* in = stream.Open();
  attn::io::NpyStreamReader reader(in, "planted");
  attn::study::SumOptions options;
  options.threads = threads;
  const std::clock_t cpu_start = std::clock();
  const auto read_start = std::chrono::steady_clock::now();
  absl::StatusOr<attn::study::ClusterAttention> sums = attn::study::SumClusterAttention(&reader, *clusters, options);
  const double read_s = Seconds(read_start);
  const double read_cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  std::fclose(in);
  if (!sums.ok()) return attn::runtime::Fail(sums.status());
  const double bytes = static_cast<double>(reader.bytes_read());
  std::printf("read: %d x [%d, %d, %lld, %lld] float32 = %s in %.2f s with %d threads (%s/s; %.2f CPU s)\n",
              FLAGS_sequences, FLAGS_layers, FLAGS_heads, static_cast<long long>(n), static_cast<long long>(n),
              Progress::FormatBytes(bytes).c_str(), read_s, threads, Progress::FormatBytes(bytes / read_s).c_str(),
              read_cpu_s);

  // The fits, one at a time, so each time is its own.
  double fit_s = 0;
  for (size_t c = 0; c < clusters->labels.size(); ++c) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<attn::study::PatternFit> fit = attn::study::FitPattern(sums->sums[c], n, FLAGS_coverage);
    const double s = Seconds(start);
    fit_s += s;
    if (!fit.ok()) return attn::runtime::Fail(fit.status());
    std::printf("fit: cluster %zu (%s, %zu heads): %s, coverage %.4f, %.2f%% of causal pairs, %.3f s\n", c,
                builtins[c].c_str(), clusters->members[c].size(), attn::model::DescribePattern(fit->pattern).c_str(),
                fit->coverage, 100.0 * fit->pairs / attn::model::CausalPairCount(n), s);
  }
  std::printf("fit: %zu clusters at L = %lld in %.3f s on one thread\n", clusters->labels.size(),
              static_cast<long long>(n), fit_s);
  return attn::runtime::kExitOk;
}
