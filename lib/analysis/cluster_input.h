// What the clustering tools (kmeans, silhouette, ward) read and write: chosen columns of a
// CSV as points, prepared for the dissimilarity in use, and the input rows with labels.
#ifndef ATTN_LIB_ANALYSIS_CLUSTER_INPUT_H_
#define ATTN_LIB_ANALYSIS_CLUSTER_INPUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/analysis/dissimilarity.h"
#include "lib/analysis/features.h"
#include "lib/io/csv.h"

namespace attn::analysis {

struct ClusterInput {
  io::Table table;
  std::vector<std::string> names;  // the feature columns, patterns expanded
  const Dissimilarity* dissimilarity = nullptr;
  Points raw;  // the features as the input has them
  Points x;    // as the clustering sees them: standardized, or made distributions
  bool standardized = false;
  Standardizer scaler;  // when standardized
};

// Reads `input` ("-" is stdin): `features` (comma-separated, "prefix*" patterns; empty: the
// dissimilarity's default columns), standardized when asked and the dissimilarity allows
// it. Notes (a constant feature) go to stderr. Bad option values are InvalidArgument; the
// input's faults name it.
absl::StatusOr<ClusterInput> LoadClusterInput(const std::string& input, const std::string& features,
                                              bool standardize, const std::string& distance);

// A failure of the math on this input (too few rows, ...), named after the input.
absl::Status NameInput(const io::Table& table, const absl::Status& status);

// FailedPrecondition when the table already has a `cluster` column (cluster the metrics).
absl::Status CheckNoClusterColumn(const io::Table& table);

// The input rows, unchanged, plus a `cluster` column.
std::string WithClusterColumn(io::Table table, const std::vector<int>& labels);

// cluster,<names> rows, one per row of `centroids` (in the input's units).
std::string CentroidText(const std::vector<std::string>& names, const Points& centroids);

// The mean of each cluster's rows of `points`; labels are 0..k-1.
Points ClusterMeans(const Points& points, const std::vector<int>& labels, int k);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_CLUSTER_INPUT_H_
