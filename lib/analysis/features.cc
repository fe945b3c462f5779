#include "lib/analysis/features.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/runtime/option_names.h"

namespace attn::analysis {

absl::StatusOr<std::vector<std::string>> ParseFeatureList(const std::string& list) {
  std::vector<std::string> names = absl::StrSplit(list, ',');
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      return absl::InvalidArgumentError(runtime::Opt("features") + "=" + list + " has an empty name");
    }
    for (size_t j = 0; j < i; ++j) {
      if (names[j] == names[i]) {
        return absl::InvalidArgumentError(runtime::Opt("features") + " names '" + names[i] + "' twice");
      }
    }
  }
  return names;
}

absl::StatusOr<std::vector<std::string>> ExpandFeatureNames(const io::Table& table,
                                                            const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& name : names) {
    if (name.back() != '*') {
      out.push_back(name);
      continue;
    }
    const std::string prefix = name.substr(0, name.size() - 1);
    const size_t before = out.size();
    for (const std::string& column : table.header) {
      if (absl::StartsWith(column, prefix)) out.push_back(column);
    }
    if (out.size() == before) {
      return absl::InvalidArgumentError(absl::StrCat(table.source, ": no column matches '", name,
                                                     "'; the columns are: ",
                                                     absl::StrJoin(table.header, ",")));
    }
  }
  return out;
}

absl::StatusOr<Points> FeatureMatrix(const io::Table& table, const std::vector<std::string>& names) {
  if (table.rows.empty()) return absl::FailedPreconditionError(table.source + ": no data rows");
  Points x(static_cast<Eigen::Index>(table.rows.size()), static_cast<Eigen::Index>(names.size()));
  for (size_t c = 0; c < names.size(); ++c) {
    absl::StatusOr<std::vector<double>> column = table.NumericColumn(names[c]);
    if (!column.ok()) return column.status();
    for (size_t r = 0; r < column->size(); ++r) x(r, c) = (*column)[r];
  }
  return x;
}

Standardizer Standardizer::Fit(const Points& x) {
  const double n = static_cast<double>(x.rows());
  const double eps = std::numeric_limits<double>::epsilon();
  Standardizer s;
  s.mean = x.colwise().mean();
  s.scale.resize(x.cols());
  s.constant.assign(x.cols(), false);
  for (Eigen::Index c = 0; c < x.cols(); ++c) {
    const double var = (x.col(c).array() - s.mean(c)).square().sum() / n;
    const double bound = n * eps * var + (n * s.mean(c) * eps) * (n * s.mean(c) * eps);
    s.constant[c] = var <= bound;
    s.scale(c) = s.constant[c] ? 1.0 : std::sqrt(var);
  }
  return s;
}

Points Standardizer::Transform(const Points& x) const {
  return ((x.rowwise() - mean).array().rowwise() / scale.array()).matrix();
}

Points Standardizer::InverseTransform(const Points& z) const {
  return (z.array().rowwise() * scale.array()).matrix().rowwise() + mean;
}

std::string ConstantFeatureNote(const io::Table& table, const std::string& name) {
  return absl::StrCat(table.source, ": feature '", name,
                      "' is constant; it is centred but not scaled (all zeros), as "
                      "scikit-learn's StandardScaler does, and adds nothing to the clustering");
}

absl::StatusOr<Points> LoadFeatures(const io::Table& table, const std::vector<std::string>& names,
                                    bool standardize, Standardizer* scaler,
                                    std::vector<std::string>* warnings) {
  absl::StatusOr<Points> x = FeatureMatrix(table, names);
  if (!x.ok() || !standardize) return x;
  *scaler = Standardizer::Fit(*x);
  for (size_t c = 0; c < names.size(); ++c) {
    if (scaler->constant[c]) warnings->push_back(ConstantFeatureNote(table, names[c]));
  }
  return scaler->Transform(*x);
}

}  // namespace attn::analysis
