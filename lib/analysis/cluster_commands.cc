#include "lib/analysis/cluster_commands.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/analysis/features.h"
#include "lib/analysis/silhouette.h"
#include "lib/analysis/ward.h"
#include "lib/io/atomic_file.h"
#include "lib/io/csv.h"

namespace attn::analysis {
namespace {

struct Loaded {
  io::Table table;
  std::vector<std::string> names;
  Standardizer scaler;
  Points x;
};

absl::StatusOr<Loaded> Load(const FeatureOptions& options, std::FILE* log) {
  Loaded l;
  absl::StatusOr<std::vector<std::string>> names = ParseFeatureList(options.features);
  if (!names.ok()) return names.status();
  l.names = *names;
  absl::StatusOr<io::Table> table = io::ReadTable(options.input);
  if (!table.ok()) return table.status();
  l.table = *std::move(table);
  std::vector<std::string> warnings;
  absl::StatusOr<Points> x = LoadFeatures(l.table, l.names, options.standardize, &l.scaler, &warnings);
  if (!x.ok()) return x.status();
  for (const std::string& w : warnings) std::fprintf(log, "%s\n", w.c_str());
  l.x = *std::move(x);
  return l;
}

// Input-dependent failures of the math (too few rows, ...) name the input they came from.
absl::Status NameInput(const io::Table& table, const absl::Status& status) {
  if (status.code() != absl::StatusCode::kFailedPrecondition) return status;
  return absl::FailedPreconditionError(table.source + ": " + std::string(status.message()));
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  return io::WriteFileAtomically(path, text);
}

}  // namespace

absl::Status RunKMeans(const KMeansCommand& command, std::FILE* log) {
  absl::StatusOr<Loaded> l = Load(command.features, log);
  if (!l.ok()) return l.status();
  if (l->table.ColumnIndex("cluster").ok()) {
    return absl::FailedPreconditionError(l->table.source +
                                         " already has a 'cluster' column; cluster the metrics CSV");
  }
  absl::StatusOr<KMeansResult> r = KMeans(l->x, command.kmeans);
  if (!r.ok()) return NameInput(l->table, r.status());
  std::fprintf(log, "kmeans: k=%d inertia %s iterations %d (best of %d restarts, seed %llu)\n",
               command.kmeans.k, io::FormatDouble(r->inertia).c_str(), r->iterations,
               command.kmeans.n_init, static_cast<unsigned long long>(command.kmeans.seed));
  if (!command.centroids.empty()) {
    const Points c = command.features.standardize ? l->scaler.InverseTransform(r->centroids)
                                                  : r->centroids;
    io::Table t;
    t.header = {"cluster"};
    t.header.insert(t.header.end(), l->names.begin(), l->names.end());
    for (Eigen::Index i = 0; i < c.rows(); ++i) {
      std::vector<std::string> row = {absl::StrCat(i)};
      for (Eigen::Index j = 0; j < c.cols(); ++j) row.push_back(io::FormatDouble(c(i, j)));
      t.rows.push_back(std::move(row));
    }
    if (absl::Status s = WriteText(command.centroids, io::FormatTable(t)); !s.ok()) return s;
  }
  std::vector<std::string> labels;
  for (int label : r->labels) labels.push_back(absl::StrCat(label));
  l->table.AddColumn("cluster", std::move(labels));
  return WriteText(command.output, io::FormatTable(l->table));
}

namespace {

absl::Status Sweep(const SilhouetteCommand& command, const Loaded& l, std::FILE* log) {
  const int n = static_cast<int>(l.x.rows());
  if (command.k_min < 2 || command.k_max < command.k_min) {
    return absl::InvalidArgumentError(absl::StrCat("--k_min=", command.k_min, " --k_max=",
                                                   command.k_max, ": need 2 <= k_min <= k_max"));
  }
  if (command.k_max > n - 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        l.table.source, " has ", n, " rows; silhouette needs k <= n - 1 = ", n - 1));
  }
  std::vector<Merge> merges;
  if (command.algorithm == "ward") {
    absl::StatusOr<std::vector<Merge>> z = WardLinkage(l.x, command.threads);
    if (!z.ok()) return NameInput(l.table, z.status());
    merges = *std::move(z);
  } else if (command.algorithm != "kmeans") {
    return absl::InvalidArgumentError("--algorithm='" + command.algorithm +
                                      "' is not one of ward, kmeans");
  }
  std::string tsv = "k\tsilhouette\n";
  for (int k = command.k_min; k <= command.k_max; ++k) {
    std::vector<int> labels;
    if (command.algorithm == "ward") {
      labels = CutTree(merges, n, k);
    } else {
      KMeansOptions o = command.kmeans;
      o.k = k;
      absl::StatusOr<KMeansResult> r = KMeans(l.x, o);
      if (!r.ok()) return NameInput(l.table, r.status());
      labels = r->labels;
    }
    absl::StatusOr<double> s = SilhouetteScore(l.x, labels, command.threads);
    if (!s.ok()) {
      return NameInput(l.table, absl::FailedPreconditionError(
                                    absl::StrCat("k=", k, ": ", s.status().message())));
    }
    absl::StrAppend(&tsv, k, "\t", io::FormatDouble(*s), "\n");
    std::fprintf(log, "silhouette: %s k=%d %.4f\n", command.algorithm.c_str(), k, *s);
  }
  return WriteText(command.output, tsv);
}

}  // namespace

absl::Status RunSilhouette(const SilhouetteCommand& command, std::FILE* log) {
  absl::StatusOr<Loaded> l = Load(command.features, log);
  if (!l.ok()) return l.status();
  if (command.k_max > 0) return Sweep(command, *l, log);

  absl::StatusOr<int> col = l->table.ColumnIndex(command.cluster_column);
  if (!col.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        l->table.source, ": no '", command.cluster_column,
        "' column; score the output of kmeans, or sweep k with --k_max"));
  }
  absl::StatusOr<std::vector<double>> raw = l->table.NumericColumn(command.cluster_column);
  if (!raw.ok()) return raw.status();
  std::vector<int> labels;
  for (double v : *raw) {
    if (v != std::floor(v) || std::fabs(v) > 1e9) {
      return absl::FailedPreconditionError(absl::StrCat(
          l->table.source, ": cluster label ", v, " is not an integer"));
    }
    labels.push_back(static_cast<int>(v));
  }
  absl::StatusOr<std::vector<double>> s = SilhouetteSamples(l->x, labels, command.threads);
  if (!s.ok()) return NameInput(l->table, s.status());
  double mean = 0;
  for (double v : *s) mean += v;
  mean /= static_cast<double>(s->size());
  if (!command.per_sample.empty()) {
    io::Table t = l->table;
    std::vector<std::string> values;
    for (double v : *s) values.push_back(io::FormatDouble(v));
    t.AddColumn("silhouette", std::move(values));
    if (absl::Status st = WriteText(command.per_sample, io::FormatTable(t)); !st.ok()) return st;
  }
  return WriteText(command.output, io::FormatDouble(mean) + "\n");
}

}  // namespace attn::analysis
