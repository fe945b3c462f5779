#include "lib/analysis/cluster_input.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace attn::analysis {

absl::StatusOr<ClusterInput> LoadClusterInput(const std::string& input, const std::string& features,
                                              bool standardize, const std::string& distance) {
  ClusterInput in;
  absl::StatusOr<const Dissimilarity*> d = FindDissimilarity(distance);
  if (!d.ok()) return d.status();
  in.dissimilarity = *d;
  absl::StatusOr<std::vector<std::string>> patterns =
      ParseFeatureList(features.empty() ? in.dissimilarity->default_features : features);
  if (!patterns.ok()) return patterns.status();
  absl::StatusOr<io::Table> table = io::ReadTable(input);
  if (!table.ok()) return table.status();
  in.table = *std::move(table);
  absl::StatusOr<std::vector<std::string>> names = ExpandFeatureNames(in.table, *patterns);
  if (!names.ok()) return names.status();
  in.names = *std::move(names);
  absl::StatusOr<Points> raw = FeatureMatrix(in.table, in.names);
  if (!raw.ok()) return raw.status();
  in.raw = *std::move(raw);
  in.x = in.raw;
  if (standardize && in.dissimilarity->standardizable) {
    in.standardized = true;
    in.scaler = Standardizer::Fit(in.raw);
    for (size_t c = 0; c < in.names.size(); ++c) {
      if (!in.scaler.constant[c]) continue;
      std::fprintf(stderr, "%s\n", ConstantFeatureNote(in.table, in.names[c]).c_str());
    }
    in.x = in.scaler.Transform(in.raw);
  }
  if (absl::Status s = in.dissimilarity->prepare(&in.x); !s.ok()) return NameInput(in.table, s);
  return in;
}

absl::Status NameInput(const io::Table& table, const absl::Status& status) {
  if (status.code() != absl::StatusCode::kFailedPrecondition) return status;
  return absl::FailedPreconditionError(table.source + ": " + std::string(status.message()));
}

absl::Status CheckNoClusterColumn(const io::Table& table) {
  if (!table.ColumnIndex("cluster").ok()) return absl::OkStatus();
  return absl::FailedPreconditionError(table.source +
                                       " already has a 'cluster' column; cluster the metrics CSV");
}

std::string WithClusterColumn(io::Table table, const std::vector<int>& labels) {
  std::vector<std::string> column;
  for (int label : labels) column.push_back(absl::StrCat(label));
  table.AddColumn("cluster", std::move(column));
  return io::FormatTable(table);
}

std::string CentroidText(const std::vector<std::string>& names, const Points& centroids) {
  io::Table t;
  t.header = {"cluster"};
  t.header.insert(t.header.end(), names.begin(), names.end());
  for (Eigen::Index i = 0; i < centroids.rows(); ++i) {
    std::vector<std::string> row = {absl::StrCat(i)};
    for (Eigen::Index j = 0; j < centroids.cols(); ++j) {
      row.push_back(io::FormatDouble(centroids(i, j)));
    }
    t.rows.push_back(std::move(row));
  }
  return io::FormatTable(t);
}

Points ClusterMeans(const Points& points, const std::vector<int>& labels, int k) {
  Points sums = Points::Zero(k, points.cols());
  std::vector<double> counts(k, 0);
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    sums.row(labels[i]) += points.row(i);
    ++counts[labels[i]];
  }
  for (int c = 0; c < k; ++c) sums.row(c) /= counts[c];
  return sums;
}

}  // namespace attn::analysis
