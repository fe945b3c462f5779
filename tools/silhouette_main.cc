// silhouette: mean silhouette of a clustering, or a sweep over k.
//   silhouette < clusters.csv
//   silhouette --k_min=2 --k_max=8 --algorithm=ward < head_metrics.csv > silhouette.tsv
#include <cstdio>

#include "gflags/gflags.h"
#include "lib/analysis/cluster_commands.h"
#include "lib/runtime/tool.h"
#include "tools/tool_main.h"

DEFINE_string(input, "-", "CSV with a header row; '-' is stdin");
DEFINE_string(output, "-", "the mean silhouette, or the k<TAB>silhouette sweep; '-' is stdout");
DEFINE_string(features, "entropy,sparsity,distance", "comma-separated numeric columns");
DEFINE_bool(standardize, true, "z-score each feature (population std, as StandardScaler)");
DEFINE_string(cluster_column, "cluster", "the label column of the input (without --k_max)");
DEFINE_string(per_sample, "", "if set, write the input rows plus a 'silhouette' column here");
DEFINE_int32(k_min, 2, "sweep: smallest k");
DEFINE_int32(k_max, 0, "sweep: largest k; > 0 clusters the input for every k instead of "
                       "reading its labels");
DEFINE_string(algorithm, "ward", "sweep: ward (agglomerative, Ward linkage) or kmeans");
DEFINE_int32(n_init, 10, "sweep with kmeans: restarts");
DEFINE_uint64(seed, 0, "sweep with kmeans: random seed");

int main(int argc, char** argv) {
  attn::tools::InitMain(&argc, &argv,
                          "silhouette [--per_sample=FILE] < clusters.csv\n"
                          "silhouette --k_min=2 --k_max=8 [--algorithm=ward|kmeans] < metrics.csv");
  attn::analysis::SilhouetteCommand c;
  c.features.input = attn::runtime::ResolvePath(FLAGS_input);
  c.features.features = FLAGS_features;
  c.features.standardize = FLAGS_standardize;
  c.output = attn::runtime::ResolvePath(FLAGS_output);
  c.threads = attn::runtime::Threads();
  c.cluster_column = FLAGS_cluster_column;
  c.per_sample = attn::runtime::ResolvePath(FLAGS_per_sample);
  c.k_min = FLAGS_k_min;
  c.k_max = FLAGS_k_max;
  c.algorithm = FLAGS_algorithm;
  c.kmeans.n_init = FLAGS_n_init;
  c.kmeans.seed = FLAGS_seed;
  const absl::Status status = attn::analysis::RunSilhouette(c, stderr);
  return status.ok() ? attn::runtime::kExitOk : attn::runtime::Fail(status);
}
