// Wall time of kmeans, the Ward tree and the silhouette at n points (default 20,000):
// four Gaussian blobs in 3-D, standardized as the tools do.
#include <chrono>
#include <cstdio>
#include <random>

#include "gflags/gflags.h"
#include "lib/analysis/features.h"
#include "lib/analysis/kmeans.h"
#include "lib/analysis/silhouette.h"
#include "lib/analysis/ward.h"
#include "lib/runtime/tool.h"
#include "tools/tool_main.h"

DEFINE_int32(n, 20000, "points");
DEFINE_int32(k, 4, "clusters");
DEFINE_bool(ward, true, "also time the Ward tree (n (n - 1) / 2 doubles of memory)");

namespace {

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  attn::tools::InitMain(&argc, &argv, "clustering [--n=20000] [--k=4] [--threads=N]");
  using attn::analysis::Points;
  std::mt19937_64 rng(42);
  std::normal_distribution<double> g;
  Points raw(FLAGS_n, 3);
  for (int i = 0; i < FLAGS_n; ++i) {
    const int blob = i % 4;
    raw.row(i) << blob + 0.4 * g(rng), (blob % 2) * 3 + g(rng), 50.0 * blob + 20 * g(rng);
  }
  const Points x = attn::analysis::Standardizer::Fit(raw).Transform(raw);
  const int threads = attn::runtime::Threads();
  std::printf("n=%d, 3 features, k=%d, %d threads\n", FLAGS_n, FLAGS_k, threads);

  auto start = std::chrono::steady_clock::now();
  attn::analysis::KMeansParams o;
  o.k = FLAGS_k;
  absl::StatusOr<attn::analysis::KMeansResult> km = attn::analysis::KMeans(x, o);
  if (!km.ok()) return attn::runtime::Fail(km.status());
  std::printf("kmeans (n_init=10): %.2f s, inertia %.6g\n", Since(start), km->inertia);

  start = std::chrono::steady_clock::now();
  absl::StatusOr<double> s = attn::analysis::SilhouetteScore(x, km->labels, threads);
  if (!s.ok()) return attn::runtime::Fail(s.status());
  std::printf("silhouette: %.2f s, score %.4f\n", Since(start), *s);

  if (FLAGS_ward) {
    start = std::chrono::steady_clock::now();
    absl::StatusOr<std::vector<attn::analysis::Merge>> z = attn::analysis::WardLinkage(x, threads);
    if (!z.ok()) return attn::runtime::Fail(z.status());
    std::printf("ward tree: %.2f s (%.2f GB of condensed distances)\n", Since(start),
                FLAGS_n * (FLAGS_n - 1.0) / 2 * 8 / 1e9);
  }
  return attn::runtime::kExitOk;
}
