// The ward tool: the rows of a CSV (head metrics, or attention profiles with the js
// distance) clustered by Ward's agglomerative method, cut at a given k or at the k with the
// best silhouette, as the original work chose its clusters.
#ifndef ATTN_LIB_ANALYSIS_WARD_COMMAND_H_
#define ATTN_LIB_ANALYSIS_WARD_COMMAND_H_

#include <string>

#include "absl/status/status.h"

namespace attn::analysis {

struct WardOptions {
  std::string input = "-";
  std::string output = "-";  // the input rows plus a `cluster` column
  std::string features;      // "": the distance's default columns
  bool standardize = true;
  std::string distance = "euclidean";  // or "js"
  // A number of clusters, or "best": the k in [k_min, k_max] whose partition has the highest
  // mean silhouette (the smallest such k on a tie).
  std::string k = "best";
  int k_min = 2;
  int k_max = 8;
  std::string centroids;  // also each cluster's mean, cluster,<features>; "": not written
  int threads = 1;
};

// Writes the clusters (and the centroids, together with them); on stderr the chosen k and,
// for "best", the silhouette of each k tried.
absl::Status RunWard(const WardOptions& options);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_WARD_COMMAND_H_
