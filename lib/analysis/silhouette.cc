#include "lib/analysis/silhouette.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "lib/analysis/parallel_for.h"

namespace attn::analysis {

absl::StatusOr<std::vector<double>> SilhouetteSamples(const Points& x,
                                                      const std::vector<int>& labels, int threads,
                                                      const Dissimilarity& dissimilarity) {
  const int64_t n = x.rows();
  if (static_cast<int64_t>(labels.size()) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(labels.size(), " labels for ", n, " rows; expected one label per row"));
  }
  // Compact ids 0..k-1 so the per-point sums are a small dense array.
  std::map<int, int> ids;
  for (int label : labels) ids.emplace(label, 0);
  const int k = static_cast<int>(ids.size());
  if (k < 2 || k > n - 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "silhouette needs 2 to n - 1 = ", n - 1, " clusters; the labels form ", k));
  }
  int next = 0;
  for (auto& [label, id] : ids) id = next++;
  std::vector<int> cluster(n);
  std::vector<int64_t> count(k, 0);
  for (int64_t i = 0; i < n; ++i) ++count[cluster[i] = ids[labels[i]]];

  std::vector<double> s(n);
  ParallelFor(n, threads, [&](int64_t begin, int64_t end) {
    std::vector<double> sum(k), distance(n);
    for (int64_t i = begin; i < end; ++i) {
      std::fill(sum.begin(), sum.end(), 0.0);
      dissimilarity.row(x, i, 0, n, distance.data());
      for (int64_t j = 0; j < n; ++j) sum[cluster[j]] += distance[j];
      const int own = cluster[i];
      if (count[own] == 1) {
        s[i] = 0;
        continue;
      }
      const double a = sum[own] / static_cast<double>(count[own] - 1);
      double b = std::numeric_limits<double>::infinity();
      for (int c = 0; c < k; ++c) {
        if (c != own) b = std::min(b, sum[c] / static_cast<double>(count[c]));
      }
      const double denom = std::max(a, b);
      s[i] = denom > 0 ? (b - a) / denom : 0;  // 0/0 (duplicates only) is 0, as sklearn's nan_to_num
    }
  });
  return s;
}

absl::StatusOr<double> SilhouetteScore(const Points& x, const std::vector<int>& labels, int threads,
                                       const Dissimilarity& dissimilarity) {
  absl::StatusOr<std::vector<double>> s = SilhouetteSamples(x, labels, threads, dissimilarity);
  if (!s.ok()) return s.status();
  double total = 0;
  for (double v : *s) total += v;
  return total / static_cast<double>(s->size());
}

}  // namespace attn::analysis
