#include "lib/analysis/ward_command.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/analysis/cluster_input.h"
#include "lib/analysis/outputs.h"
#include "lib/analysis/silhouette_sweep.h"
#include "lib/analysis/ward.h"
#include "lib/runtime/option_names.h"

namespace attn::analysis {

absl::Status RunWard(const WardOptions& o) {
  // k: 0 stands for "best".
  int k = 0;
  if (o.k != "best" && (!absl::SimpleAtoi(o.k, &k) || k < 1)) {
    return absl::InvalidArgumentError(runtime::Opt("k") + "=" + o.k + " is neither 'best' nor a number >= 1");
  }
  if (k == 0) {
    if (absl::Status s = CheckSweepRange(o.k_min, o.k_max); !s.ok()) return s;
  }
  if (o.threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("threads"), "=", o.threads, " must be >= 1"));
  }
  absl::StatusOr<ClusterInput> in = LoadClusterInput(o.input, o.features, o.standardize, o.distance);
  if (!in.ok()) return in.status();
  if (absl::Status s = CheckNoClusterColumn(in->table); !s.ok()) return s;
  absl::StatusOr<Outputs> outputs = Outputs::Open({{"output", o.output}, {"centroids", o.centroids}});
  if (!outputs.ok()) return outputs.status();
  const int n = static_cast<int>(in->x.rows());
  if (k > n) {
    return absl::FailedPreconditionError(absl::StrCat(in->table.source, " has ", n,
                                                      " rows; Ward cannot make k = ", k, " clusters"));
  }
  absl::StatusOr<std::vector<Merge>> merges = WardLinkage(in->x, o.threads, *in->dissimilarity);
  if (!merges.ok()) return NameInput(in->table, merges.status());
  std::string report = absl::StrCat("ward: k=", k);
  if (k == 0) {
    absl::StatusOr<int> k_max = SweepKMax(o.k_min, o.k_max, n);
    if (!k_max.ok()) return NameInput(in->table, k_max.status());
    absl::StatusOr<std::vector<SweepRow>> rows = SilhouetteSweep(
        in->x, *in->dissimilarity, o.k_min, *k_max, o.threads,
        [&](int c) -> absl::StatusOr<std::vector<int>> { return CutTree(*merges, n, c); });
    if (!rows.ok()) return NameInput(in->table, rows.status());
    k = BestK(*rows);
    std::string scores;
    for (const SweepRow& r : *rows) absl::StrAppend(&scores, " ", r.k, ":", absl::SixDigits(r.silhouette));
    report = absl::StrCat("ward: k=", k, ", the best silhouette (", in->dissimilarity->name, ") over k = ", o.k_min,
                          "..", *k_max, ":", scores);
  }
  const std::vector<int> labels = CutTree(*merges, n, k);
  if (absl::Status s = outputs->Commit(
          {WithClusterColumn(in->table, labels),
           outputs->wanted(1) ? CentroidText(in->names, ClusterMeans(in->raw, labels, k)) : ""});
      !s.ok()) {
    return s;
  }
  // After the outputs are committed, so that a failed run's only line is its error.
  std::fprintf(stderr, "%s\n", report.c_str());
  return absl::OkStatus();
}

}  // namespace attn::analysis
