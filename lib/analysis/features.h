// The feature matrix the clustering tools work on: chosen numeric columns of a table,
// z-scored the way scikit-learn's StandardScaler does it.
#ifndef ATTN_LIB_ANALYSIS_FEATURES_H_
#define ATTN_LIB_ANALYSIS_FEATURES_H_

#include <string>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "lib/io/csv.h"

namespace attn::analysis {

// One row per point; row-major so a point's coordinates are contiguous.
using Points = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// "entropy,sparsity,distance" -> its names; an empty name or a repeat is InvalidArgument.
// A name ending in '*' stands for every column it is a prefix of ("d*": d0, d1, ...).
absl::StatusOr<std::vector<std::string>> ParseFeatureList(const std::string& list);

// The names with each "prefix*" replaced by the matching columns of `table`, in table order.
// A pattern that matches nothing is InvalidArgument, as a missing column is.
absl::StatusOr<std::vector<std::string>> ExpandFeatureNames(const io::Table& table,
                                                            const std::vector<std::string>& names);

// The named columns of `table` as points; errors as Table::NumericColumn, and
// FailedPrecondition for a table without rows.
absl::StatusOr<Points> FeatureMatrix(const io::Table& table, const std::vector<std::string>& names);

// z = (x - mean) / scale, scale = population standard deviation. A constant column (by
// StandardScaler's test: var <= n eps var + (n mean eps)^2) keeps scale 1, so it becomes 0.
struct Standardizer {
  Eigen::RowVectorXd mean;
  Eigen::RowVectorXd scale;
  std::vector<bool> constant;

  static Standardizer Fit(const Points& x);
  Points Transform(const Points& x) const;
  Points InverseTransform(const Points& z) const;
};

// The note a constant feature gets: how it is treated.
std::string ConstantFeatureNote(const io::Table& table, const std::string& name);

// The points the clustering tools use: `names` of `table`, standardized when asked. A
// constant feature appends a line to `warnings` saying how it is treated.
absl::StatusOr<Points> LoadFeatures(const io::Table& table, const std::vector<std::string>& names,
                                    bool standardize, Standardizer* scaler,
                                    std::vector<std::string>* warnings);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_FEATURES_H_
