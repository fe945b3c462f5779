// ward: Ward clustering of the rows of a CSV (the head metrics by default), cut at --k, or at
// the k with the best silhouette, as the original work chose its clusters.
//   ward --k=best --k_min=2 --k_max=8 < head_metrics.csv > clusters.csv
//   ward --k=4 --distance=js < profiles.csv > clusters.csv

#include "gflags/gflags.h"
#include "lib/analysis/ward_command.h"
#include "lib/runtime/tool.h"
#include "tools/clustering_flags.h"
#include "tools/tool_main.h"

DEFINE_string(output, "-", "the input rows plus a 'cluster' column; '-' is stdout");
DEFINE_string(k, "best", "number of clusters, or 'best': the k in [k_min, k_max] with the "
                         "highest mean silhouette");
DEFINE_int32(k_min, 2, "with --k=best: smallest k");
DEFINE_int32(k_max, 8, "with --k=best: largest k (lowered to rows - 1)");
DEFINE_string(centroids, "", "if set, write each cluster's mean, cluster,<features> "
                             "(original units), here");

int main(int argc, char** argv) {
  attn::tools::InitMain(&argc, &argv,
                        "ward [--k=best|N] [--k_min=2 --k_max=8] [--distance=euclidean|js] "
                        "[--centroids=FILE] < metrics.csv > clusters.csv\n"
                        "Clusters heads by Ward linkage, cut at k (default: the best mean silhouette).\n"
                        "Example: ward --k=best < dense_metrics.csv > clusters.csv");
  attn::analysis::WardOptions o;
  o.input = attn::runtime::ResolvePath(FLAGS_input);
  o.output = attn::runtime::ResolvePath(FLAGS_output);
  o.features = FLAGS_features;
  o.standardize = FLAGS_standardize;
  o.distance = FLAGS_distance;
  o.k = FLAGS_k;
  o.k_min = FLAGS_k_min;
  o.k_max = FLAGS_k_max;
  o.centroids = attn::runtime::ResolvePath(FLAGS_centroids);
  o.threads = attn::runtime::Threads();
  return attn::runtime::RunCommand([&] { return attn::analysis::RunWard(o); });
}
