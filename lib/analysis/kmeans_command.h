// The kmeans tool: the rows of a CSV (the head metrics) clustered by k-means.
#ifndef ATTN_LIB_ANALYSIS_KMEANS_COMMAND_H_
#define ATTN_LIB_ANALYSIS_KMEANS_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace attn::analysis {

struct KMeansOptions {
  std::string input = "-";
  std::string output = "-";  // the input rows plus a `cluster` column
  std::string features = "entropy,sparsity,distance";
  bool standardize = true;
  int k = 4;
  int n_init = 10;
  int max_iter = 300;
  double tol = 1e-4;
  uint64_t seed = 0;
  std::string centroids;  // also cluster,<features> centroids in original units; "": not
};

// Writes the clusters (and the centroids, together with them), and on stderr the inertia
// and iterations.
absl::Status RunKMeans(const KMeansOptions& options);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_KMEANS_COMMAND_H_
