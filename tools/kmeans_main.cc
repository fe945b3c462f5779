// kmeans: k-means++ clustering of the rows of a CSV (the head metrics by default).
//   kmeans --k=4 < head_metrics.csv > clusters.csv
#include <cstdio>

#include "gflags/gflags.h"
#include "lib/analysis/cluster_commands.h"
#include "lib/runtime/tool.h"
#include "tools/tool_main.h"

DEFINE_string(input, "-", "CSV with a header row; '-' is stdin");
DEFINE_string(output, "-", "the input rows plus a 'cluster' column; '-' is stdout");
DEFINE_string(features, "entropy,sparsity,distance", "comma-separated numeric columns to cluster");
DEFINE_bool(standardize, true, "z-score each feature (population std, as StandardScaler)");
DEFINE_int32(k, 4, "number of clusters");
DEFINE_int32(n_init, 10, "k-means++ restarts; the lowest inertia is kept");
DEFINE_int32(max_iter, 300, "Lloyd iterations per restart");
DEFINE_double(tol, 1e-4, "convergence: squared centre shift <= tol * mean feature variance");
DEFINE_uint64(seed, 0, "random seed; equal seeds give equal results");
DEFINE_string(centroids, "", "if set, write cluster,<features> centroids (original units) here");

int main(int argc, char** argv) {
  attn::tools::InitMain(&argc, &argv,
                          "kmeans --k=4 [--features=...] [--centroids=FILE] < metrics.csv > clusters.csv");
  attn::analysis::KMeansCommand c;
  c.features.input = attn::runtime::ResolvePath(FLAGS_input);
  c.features.features = FLAGS_features;
  c.features.standardize = FLAGS_standardize;
  c.output = attn::runtime::ResolvePath(FLAGS_output);
  c.centroids = attn::runtime::ResolvePath(FLAGS_centroids);
  c.kmeans.k = FLAGS_k;
  c.kmeans.n_init = FLAGS_n_init;
  c.kmeans.max_iter = FLAGS_max_iter;
  c.kmeans.tol = FLAGS_tol;
  c.kmeans.seed = FLAGS_seed;
  const absl::Status status = attn::analysis::RunKMeans(c, stderr);
  return status.ok() ? attn::runtime::kExitOk : attn::runtime::Fail(status);
}
