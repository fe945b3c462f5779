// The silhouette of Ward's partitions for a range of k, and the k that scores best: how the
// original work chose its number of clusters (docs/design.md, clustering).
#ifndef ATTN_LIB_ANALYSIS_SILHOUETTE_SWEEP_H_
#define ATTN_LIB_ANALYSIS_SILHOUETTE_SWEEP_H_

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/analysis/dissimilarity.h"
#include "lib/analysis/features.h"

namespace attn::analysis {

struct SweepRow {
  int k = 0;
  double silhouette = 0;
};

// InvalidArgument unless 2 <= k_min <= k_max.
absl::Status CheckSweepRange(int k_min, int k_max);

// The largest k a sweep of n points runs to: k_max, lowered to n - 1 (the silhouette needs
// a cluster of two points) with a note on stderr; FailedPrecondition when even k_min is too
// many for n points.
absl::StatusOr<int> SweepKMax(int k_min, int k_max, int64_t n);

// The mean silhouette of the partition `labels_for(k)` gives, for k = k_min..k_max (k_max
// as SweepKMax left it).
absl::StatusOr<std::vector<SweepRow>> SilhouetteSweep(
    const Points& x, const Dissimilarity& dissimilarity, int k_min, int k_max, int threads,
    const std::function<absl::StatusOr<std::vector<int>>(int k)>& labels_for);

// The k with the highest silhouette; the smallest such k on a tie. `rows` is not empty.
int BestK(const std::vector<SweepRow>& rows);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_SILHOUETTE_SWEEP_H_
