#include "lib/analysis/silhouette_sweep.h"

#include "absl/strings/str_cat.h"
#include "lib/analysis/silhouette.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/tool.h"

namespace attn::analysis {

absl::Status CheckSweepRange(int k_min, int k_max) {
  if (k_min >= 2 && k_max >= k_min) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(runtime::Opt("k_min"), "=", k_min, ", ", runtime::Opt("k_max"), "=", k_max,
                   ": need 2 <= k_min <= k_max"));
}

absl::StatusOr<int> SweepKMax(int k_min, int k_max, int64_t n) {
  if (absl::Status s = CheckSweepRange(k_min, k_max); !s.ok()) return s;
  if (k_min > n - 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the input has ", n, " rows; the silhouette needs k <= n - 1 = ", n - 1,
        " but ", runtime::Opt("k_min"), "=", k_min));
  }
  if (k_max > n - 1) {
    runtime::Report(absl::StrCat("note: ", runtime::Opt("k_max"), "=", k_max, " lowered to n - 1 = ", n - 1,
                                 ": ", n, " rows"));
    return static_cast<int>(n - 1);
  }
  return k_max;
}

absl::StatusOr<std::vector<SweepRow>> SilhouetteSweep(
    const Points& x, const Dissimilarity& dissimilarity, int k_min, int k_max, int threads,
    const std::function<absl::StatusOr<std::vector<int>>(int k)>& labels_for) {
  std::vector<SweepRow> rows;
  for (int k = k_min; k <= k_max; ++k) {
    absl::StatusOr<std::vector<int>> labels = labels_for(k);
    if (!labels.ok()) return labels.status();
    absl::StatusOr<double> s = SilhouetteScore(x, *labels, threads, dissimilarity);
    if (!s.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("k=", k, ": ", s.status().message()));
    }
    rows.push_back({k, *s});
  }
  return rows;
}

int BestK(const std::vector<SweepRow>& rows) {
  SweepRow best = rows.front();
  for (const SweepRow& r : rows) {
    if (r.silhouette > best.silhouette) best = r;
  }
  return best.k;
}

}  // namespace attn::analysis
