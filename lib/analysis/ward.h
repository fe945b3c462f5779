// Agglomerative clustering with Ward linkage, giving the partitions of scikit-learn's
// AgglomerativeClustering(linkage="ward"), which builds its tree with scipy's ward().
#ifndef ATTN_LIB_ANALYSIS_WARD_H_
#define ATTN_LIB_ANALYSIS_WARD_H_

#include <vector>

#include "absl/status/statusor.h"
#include "lib/analysis/dissimilarity.h"
#include "lib/analysis/features.h"

namespace attn::analysis {

// One row of a scipy linkage matrix: clusters a < b merge at `distance` into a cluster of
// `size` points. Points are clusters 0..n-1; merge m creates cluster n + m.
struct Merge {
  int a = 0;
  int b = 0;
  double distance = 0;
  int size = 0;
};

// The n - 1 merges, in order of distance, exactly as scipy.cluster.hierarchy.ward(x) (or,
// for another dissimilarity, as ward() of its condensed matrix): nearest-neighbour chain on
// the condensed matrix of dissimilarities, updated with the Lance-Williams formula (same
// arithmetic and tie-breaking as scipy). Time O(n^2); memory the condensed matrix,
// n (n - 1) / 2 doubles (1.6 GB at n = 20,000). FailedPrecondition for fewer than 2 points or
// more than 65,536 (the matrix would exceed 17 GB). `threads` share the initial
// dissimilarities; the chain itself is sequential. `x` as the dissimilarity's prepare() left it.
absl::StatusOr<std::vector<Merge>> WardLinkage(const Points& x, int threads = 1,
                                               const Dissimilarity& dissimilarity = Euclidean());

// The partition into k clusters: the first n - k merges applied (scikit-learn's tree cut).
// Labels are 0..k-1, numbered in order of each cluster's first row.
std::vector<int> CutTree(const std::vector<Merge>& merges, int n, int k);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_WARD_H_
