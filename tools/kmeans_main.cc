// kmeans: k-means++ clustering of the rows of a CSV (the head metrics by default).
//   kmeans --k=4 < head_metrics.csv > clusters.csv

#include "gflags/gflags.h"
#include "lib/analysis/kmeans_command.h"
#include "lib/runtime/tool.h"
#include "tools/tool_main.h"

DEFINE_string(input, "-", "CSV with a header row; '-' is stdin");
DEFINE_string(output, "-", "the input rows plus a 'cluster' column; '-' is stdout");
DEFINE_string(features, "entropy,sparsity,distance",
              "comma-separated numeric columns to cluster; 'prefix*' names every column "
              "starting with prefix");
DEFINE_bool(standardize, true, "z-score each feature (population std, as StandardScaler)");
DEFINE_int32(k, 4, "number of clusters");
DEFINE_int32(n_init, 10, "k-means++ restarts; the lowest inertia is kept");
DEFINE_int32(max_iter, 300, "Lloyd iterations per restart");
DEFINE_double(tol, 1e-4, "convergence: squared centre shift <= tol * mean feature variance");
DEFINE_uint64(seed, 0, "random seed; equal seeds give equal results");
DEFINE_string(centroids, "", "if set, write cluster,<features> centroids (original units) here");

int main(int argc, char** argv) {
  attn::tools::InitMain(&argc, &argv,
                        "kmeans --k=4 [--features=...] [--centroids=FILE] < metrics.csv > clusters.csv\n"
                        "Clusters heads by k-means (k-means++ restarts, as scikit-learn).\n"
                        "Example: kmeans --k=4 --centroids=centroids.csv < dense_metrics.csv > clusters.csv");
  attn::analysis::KMeansOptions o;
  o.input = attn::runtime::ResolvePath(FLAGS_input);
  o.output = attn::runtime::ResolvePath(FLAGS_output);
  o.features = FLAGS_features;
  o.standardize = FLAGS_standardize;
  o.k = FLAGS_k;
  o.n_init = FLAGS_n_init;
  o.max_iter = FLAGS_max_iter;
  o.tol = FLAGS_tol;
  o.seed = FLAGS_seed;
  o.centroids = attn::runtime::ResolvePath(FLAGS_centroids);
  return attn::runtime::RunCommand([&] { return attn::analysis::RunKMeans(o); });
}
