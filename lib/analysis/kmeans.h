// k-means (Lloyd) with greedy k-means++ seeding and restarts, following scikit-learn's
// KMeans(algorithm="lloyd") so results are comparable with the original work.
#ifndef ATTN_LIB_ANALYSIS_KMEANS_H_
#define ATTN_LIB_ANALYSIS_KMEANS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/analysis/features.h"

namespace attn::analysis {

struct KMeansParams {
  int k = 4;
  int n_init = 10;     // restarts; the lowest inertia wins
  int max_iter = 300;  // Lloyd iterations per restart
  // Converged when the centres move less than tol * (mean feature variance), squared and
  // summed (scikit-learn's rule), or when no label changes.
  double tol = 1e-4;
  uint64_t seed = 0;
};

struct KMeansResult {
  std::vector<int> labels;  // 0..k-1 per point
  Points centroids;         // k rows, in the units of the input points
  double inertia = 0;       // sum of squared distances to the assigned centroid
  int iterations = 0;       // Lloyd iterations of the winning restart
};

// InvalidArgument for k < 1, non-positive n_init / max_iter or a negative or non-finite tol.
absl::Status CheckKMeansParams(const KMeansParams& params);

// Deterministic for a seed. InvalidArgument for k < 1, non-positive n_init / max_iter or a
// negative tol; FailedPrecondition for fewer points than k.
absl::StatusOr<KMeansResult> KMeans(const Points& x, const KMeansParams& params);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_KMEANS_H_
