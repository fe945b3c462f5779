// The kmeans and silhouette tools: CSV in, CSV/TSV out, messages on `log` (stderr).
#ifndef ATTN_LIB_ANALYSIS_CLUSTER_COMMANDS_H_
#define ATTN_LIB_ANALYSIS_CLUSTER_COMMANDS_H_

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "lib/analysis/kmeans.h"

namespace attn::analysis {

struct FeatureOptions {
  std::string input = "-";
  std::string features = "entropy,sparsity,distance";
  bool standardize = true;
};

struct KMeansCommand {
  FeatureOptions features;
  KMeansOptions kmeans;
  std::string output = "-";
  std::string centroids;  // empty: not written
};

// Writes the input rows plus a `cluster` column to `output`, the centroids in original
// units (cluster,<features>) to `centroids` when set, and inertia and iterations to `log`.
absl::Status RunKMeans(const KMeansCommand& command, std::FILE* log);

struct SilhouetteCommand {
  FeatureOptions features;
  std::string output = "-";
  int threads = 1;
  // Scoring an existing clustering: the label column, and where per-row values go.
  std::string cluster_column = "cluster";
  std::string per_sample;  // empty: not written
  // A sweep instead when k_max > 0: cluster for every k in [k_min, k_max] and write
  // "k<TAB>silhouette" rows.
  int k_min = 2;
  int k_max = 0;
  std::string algorithm = "ward";  // or "kmeans"
  KMeansOptions kmeans;            // for algorithm "kmeans" (k is set per sweep step)
};

// Prints the mean silhouette of the input's clustering (one number and a newline) or the
// sweep TSV to `output`.
absl::Status RunSilhouette(const SilhouetteCommand& command, std::FILE* log);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_CLUSTER_COMMANDS_H_
