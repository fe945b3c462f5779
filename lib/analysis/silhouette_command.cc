#include "lib/analysis/silhouette_command.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "lib/analysis/cluster_input.h"
#include "lib/analysis/kmeans.h"
#include "lib/analysis/outputs.h"
#include "lib/analysis/silhouette.h"
#include "lib/analysis/silhouette_sweep.h"
#include "lib/analysis/ward.h"
#include "lib/runtime/option_names.h"

namespace attn::analysis {
namespace {

KMeansParams SweepParams(const SilhouetteOptions& o) {
  KMeansParams params;
  params.n_init = o.n_init;
  params.seed = o.seed;
  return params;
}

absl::Status CheckOptions(const SilhouetteOptions& o) {
  if (o.threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("threads"), "=", o.threads, " must be >= 1"));
  }
  if (o.k_max <= 0) return absl::OkStatus();
  if (o.algorithm != "ward" && o.algorithm != "kmeans") {
    return absl::InvalidArgumentError(runtime::Opt("algorithm") + "=" + o.algorithm +
                                      " is not one of ward, kmeans");
  }
  if (o.algorithm == "kmeans" && o.distance != "euclidean") {
    return absl::InvalidArgumentError(runtime::Opt("algorithm") + "=kmeans works with " +
                                      runtime::Opt("distance") + "=euclidean only; sweep with ward");
  }
  if (absl::Status s = CheckSweepRange(o.k_min, o.k_max); !s.ok()) return s;
  return CheckKMeansParams(SweepParams(o));
}

absl::Status Sweep(const SilhouetteOptions& o, const ClusterInput& in, Outputs* outputs) {
  const int n = static_cast<int>(in.x.rows());
  absl::StatusOr<int> k_max = SweepKMax(o.k_min, o.k_max, n);
  if (!k_max.ok()) return NameInput(in.table, k_max.status());
  std::vector<Merge> merges;
  if (o.algorithm == "ward") {
    absl::StatusOr<std::vector<Merge>> z = WardLinkage(in.x, o.threads, *in.dissimilarity);
    if (!z.ok()) return NameInput(in.table, z.status());
    merges = *std::move(z);
  }
  absl::StatusOr<std::vector<SweepRow>> rows = SilhouetteSweep(
      in.x, *in.dissimilarity, o.k_min, *k_max, o.threads,
      [&](int k) -> absl::StatusOr<std::vector<int>> {
        if (o.algorithm == "ward") return CutTree(merges, n, k);
        KMeansParams params = SweepParams(o);
        params.k = k;
        absl::StatusOr<KMeansResult> r = KMeans(in.x, params);
        if (!r.ok()) return r.status();
        return r->labels;
      });
  if (!rows.ok()) return NameInput(in.table, rows.status());
  std::string tsv = "k\tsilhouette\n";
  for (const SweepRow& r : *rows) {
    absl::StrAppend(&tsv, r.k, "\t", io::FormatDouble(r.silhouette), "\n");
    std::fprintf(stderr, "silhouette: %s k=%d %.4f\n", o.algorithm.c_str(), r.k, r.silhouette);
  }
  return outputs->Commit({tsv, ""});
}

}  // namespace

absl::Status RunSilhouette(const SilhouetteOptions& o) {
  if (absl::Status s = CheckOptions(o); !s.ok()) return s;
  absl::StatusOr<ClusterInput> in = LoadClusterInput(o.input, o.features, o.standardize, o.distance);
  if (!in.ok()) return in.status();
  absl::StatusOr<Outputs> outputs =
      Outputs::Open({{"output", o.output}, {"per_sample", o.k_max > 0 ? "" : o.per_sample}});
  if (!outputs.ok()) return outputs.status();
  if (o.k_max > 0) return Sweep(o, *in, &*outputs);

  if (!in->table.ColumnIndex(o.cluster_column).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        in->table.source, ": no '", o.cluster_column,
        "' column; score the output of kmeans or ward, or sweep k with ", runtime::Opt("k_max")));
  }
  absl::StatusOr<std::vector<double>> raw = in->table.NumericColumn(o.cluster_column);
  if (!raw.ok()) return raw.status();
  std::vector<int> labels;
  for (double v : *raw) {
    if (v != std::floor(v) || std::fabs(v) > 1e9) {
      return absl::FailedPreconditionError(
          absl::StrCat(in->table.source, ": cluster label ", v, " is not an integer"));
    }
    labels.push_back(static_cast<int>(v));
  }
  absl::StatusOr<std::vector<double>> s =
      SilhouetteSamples(in->x, labels, o.threads, *in->dissimilarity);
  if (!s.ok()) return NameInput(in->table, s.status());
  double mean = 0;
  for (double v : *s) mean += v;
  mean /= static_cast<double>(s->size());
  std::string per_sample;
  if (outputs->wanted(1)) {
    io::Table t = in->table;
    std::vector<std::string> values;
    for (double v : *s) values.push_back(io::FormatDouble(v));
    t.AddColumn("silhouette", std::move(values));
    per_sample = io::FormatTable(t);
  }
  return outputs->Commit({io::FormatDouble(mean) + "\n", per_sample});
}

}  // namespace attn::analysis
