// The silhouette tool: the mean silhouette of a clustering, or a sweep over k.
#ifndef ATTN_LIB_ANALYSIS_SILHOUETTE_COMMAND_H_
#define ATTN_LIB_ANALYSIS_SILHOUETTE_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace attn::analysis {

struct SilhouetteOptions {
  std::string input = "-";
  std::string output = "-";
  std::string features;  // "": the distance's default columns
  bool standardize = true;
  std::string distance = "euclidean";  // or "js"
  int threads = 1;
  // Scoring an existing clustering: the label column, and where per-row values go.
  std::string cluster_column = "cluster";
  std::string per_sample;  // "": not written
  // A sweep instead when k_max > 0: cluster for every k in [k_min, k_max] and write
  // "k<TAB>silhouette" rows.
  int k_min = 2;
  int k_max = 0;
  std::string algorithm = "ward";  // or "kmeans" (euclidean only)
  int n_init = 10;                 // for kmeans
  uint64_t seed = 0;               // for kmeans
};

// Writes the mean silhouette of the input's clustering (one number and a newline), with the
// per-row values together with it when asked, or the sweep TSV.
absl::Status RunSilhouette(const SilhouetteOptions& options);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_SILHOUETTE_COMMAND_H_
