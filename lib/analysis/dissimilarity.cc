#include "lib/analysis/dissimilarity.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/runtime/option_names.h"

namespace attn::analysis {
namespace {

absl::Status Unchanged(Points*) { return absl::OkStatus(); }

void EuclideanRow(const Points& x, int64_t i, int64_t begin, int64_t end, double* out) {
  const Eigen::Index dims = x.cols();
  const double* xi = x.row(i).data();
  for (int64_t j = begin; j < end; ++j) {
    const double* xj = x.row(j).data();
    double d2 = 0;
    for (Eigen::Index c = 0; c < dims; ++c) {
      const double diff = xi[c] - xj[c];
      d2 += diff * diff;
    }
    out[j - begin] = std::sqrt(d2);
  }
}

absl::Status ToDistributions(Points* x) {
  for (Eigen::Index i = 0; i < x->rows(); ++i) {
    double sum = 0;
    for (Eigen::Index c = 0; c < x->cols(); ++c) {
      const double v = (*x)(i, c);
      if (!(v >= 0)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "row ", i + 1, " has the value ", v, "; the js distance compares distributions, "
            "which are non-negative (cluster attention profiles: head_metrics --profiles)"));
      }
      sum += v;
    }
    if (!(sum > 0)) {
      return absl::FailedPreconditionError(
          absl::StrCat("row ", i + 1, " sums to 0; the js distance needs distributions"));
    }
    x->row(i) /= sum;
  }
  return absl::OkStatus();
}

// scipy's jensenshannon, step for step: m = (p + q) / 2, the mean of the relative entropies
// of p and q to m, in bits, square-rooted.
void JensenShannonRow(const Points& x, int64_t i, int64_t begin, int64_t end, double* out) {
  const Eigen::Index dims = x.cols();
  const double* p = x.row(i).data();
  for (int64_t j = begin; j < end; ++j) {
    const double* q = x.row(j).data();
    double left = 0, right = 0;
    for (Eigen::Index c = 0; c < dims; ++c) {
      const double m = (p[c] + q[c]) / 2.0;
      if (p[c] > 0) left += p[c] * std::log(p[c] / m);
      if (q[c] > 0) right += q[c] * std::log(q[c] / m);
    }
    const double js = (left + right) / 2.0 / std::log(2.0);
    out[j - begin] = std::sqrt(std::max(js, 0.0));  // rounding can leave -1e-17
  }
}

const std::vector<Dissimilarity>& Table() {
  static const std::vector<Dissimilarity>* table = new std::vector<Dissimilarity>{
      {"euclidean", "Euclidean distance", "entropy,sparsity,distance", true, Unchanged,
       EuclideanRow},
      {"js", "Jensen-Shannon distance (sqrt of the divergence, base 2)", "d*", false,
       ToDistributions, JensenShannonRow},
  };
  return *table;
}

}  // namespace

const Dissimilarity& Euclidean() { return Table()[0]; }

absl::StatusOr<const Dissimilarity*> FindDissimilarity(const std::string& name) {
  std::string names;
  for (const Dissimilarity& d : Table()) {
    if (d.name == name) return &d;
    absl::StrAppend(&names, names.empty() ? "" : ", ", d.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(runtime::Opt("distance"), "=", name, " is not one of ", names));
}

}  // namespace attn::analysis
