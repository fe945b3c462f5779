// Silhouette coefficients, as scikit-learn's silhouette_samples and silhouette_score define
// them (Euclidean by default), in O(n^2) time and O(n + threads * (n + k)) memory.
#ifndef ATTN_LIB_ANALYSIS_SILHOUETTE_H_
#define ATTN_LIB_ANALYSIS_SILHOUETTE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "lib/analysis/dissimilarity.h"
#include "lib/analysis/features.h"

namespace attn::analysis {

// s(i) = (b - a) / max(a, b): a = mean distance to the other points of i's cluster, b = the
// lowest mean distance to another cluster; 0 for a point alone in its cluster. Labels are
// any integers; FailedPrecondition unless there are 2 to n - 1 distinct labels.
// `x` as the dissimilarity's prepare() left it.
absl::StatusOr<std::vector<double>> SilhouetteSamples(
    const Points& x, const std::vector<int>& labels, int threads = 1,
    const Dissimilarity& dissimilarity = Euclidean());

// The mean of SilhouetteSamples.
absl::StatusOr<double> SilhouetteScore(const Points& x, const std::vector<int>& labels,
                                       int threads = 1,
                                       const Dissimilarity& dissimilarity = Euclidean());

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_SILHOUETTE_H_
