// silhouette: mean silhouette of a clustering, or a sweep over k.
//   silhouette < clusters.csv
//   silhouette --k_min=2 --k_max=8 --algorithm=ward < head_metrics.csv > silhouette.tsv
//   silhouette --k_max=8 --distance=js < profiles.csv > silhouette.tsv

#include "gflags/gflags.h"
#include "lib/analysis/silhouette_command.h"
#include "lib/runtime/tool.h"
#include "tools/clustering_flags.h"
#include "tools/tool_main.h"

DEFINE_string(output, "-", "the mean silhouette, or the k<TAB>silhouette sweep; '-' is stdout");
DEFINE_string(cluster_column, "cluster", "the label column of the input (without --k_max)");
DEFINE_string(per_sample, "", "if set, write the input rows plus a 'silhouette' column here");
DEFINE_int32(k_min, 2, "sweep: smallest k");
DEFINE_int32(k_max, 0, "sweep: largest k (lowered to rows - 1); > 0 clusters the input for "
                       "every k instead of reading its labels");
DEFINE_string(algorithm, "ward", "sweep: ward (agglomerative, Ward linkage) or kmeans");
DEFINE_int32(n_init, 10, "sweep with kmeans: restarts");
DEFINE_uint64(seed, 0, "sweep with kmeans: random seed");

int main(int argc, char** argv) {
  attn::tools::InitMain(&argc, &argv,
                        "silhouette [--per_sample=FILE] < clusters.csv\n"
                        "silhouette --k_min=2 --k_max=8 [--algorithm=ward|kmeans] "
                        "[--distance=euclidean|js] < metrics.csv\n"
                        "Mean silhouette of a clustering, or of Ward or k-means at every k of a sweep.\n"
                        "Example: silhouette --k_min=2 --k_max=8 < dense_metrics.csv > silhouette.tsv");
  attn::analysis::SilhouetteOptions o;
  o.input = attn::runtime::ResolvePath(FLAGS_input);
  o.output = attn::runtime::ResolvePath(FLAGS_output);
  o.features = FLAGS_features;
  o.standardize = FLAGS_standardize;
  o.distance = FLAGS_distance;
  o.threads = attn::runtime::Threads();
  o.cluster_column = FLAGS_cluster_column;
  o.per_sample = attn::runtime::ResolvePath(FLAGS_per_sample);
  o.k_min = FLAGS_k_min;
  o.k_max = FLAGS_k_max;
  o.algorithm = FLAGS_algorithm;
  o.n_init = FLAGS_n_init;
  o.seed = FLAGS_seed;
  return attn::runtime::RunCommand([&] { return attn::analysis::RunSilhouette(o); });
}
