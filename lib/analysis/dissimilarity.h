// How far apart two heads are, for the silhouette and Ward clustering: a table of named
// dissimilarities.
#ifndef ATTN_LIB_ANALYSIS_DISSIMILARITY_H_
#define ATTN_LIB_ANALYSIS_DISSIMILARITY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "lib/analysis/features.h"

namespace attn::analysis {

struct Dissimilarity {
  std::string name;
  std::string description;
  std::string default_features;  // the columns used when none are named
  bool standardizable;           // whether z-scoring the features applies
  // Checks the points and puts them in the form `row` expects; errors are FailedPrecondition.
  absl::Status (*prepare)(Points* x);
  // out[j - begin] = the dissimilarity of rows i and j, for j in [begin, end).
  void (*row)(const Points& x, int64_t i, int64_t begin, int64_t end, double* out);
};

// "euclidean": the Euclidean distance (of the standardized head metrics, by default).
// "js": the Jensen-Shannon distance, sqrt(JS(P, Q)) with base-2 logs, in [0, 1], between
// rows taken as distributions (each divided by its sum): the attention profiles of
// `head_metrics --profiles`. The square root because it is a metric (Endres and Schindelin
// 2003) and embeds in a Euclidean (Hilbert) space, which is what the silhouette's mean
// distances and Ward's update formula assume; JS itself breaks the triangle inequality.
// It equals scipy.spatial.distance.jensenshannon(p, q, base=2).
const Dissimilarity& Euclidean();
absl::StatusOr<const Dissimilarity*> FindDissimilarity(const std::string& name);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_DISSIMILARITY_H_
