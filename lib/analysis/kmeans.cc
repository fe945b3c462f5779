#include "lib/analysis/kmeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"
#include "lib/runtime/option_names.h"

namespace attn::analysis {
namespace {

double SquaredDistance(const Points& a, Eigen::Index i, const Points& b, Eigen::Index j) {
  return (a.row(i) - b.row(j)).squaredNorm();
}

// Greedy k-means++ as scikit-learn does it: each new centre is the best (lowest potential)
// of 2 + floor(log k) candidates drawn with probability proportional to D^2.
Points KMeansPlusPlus(const Points& x, int k, std::mt19937_64* rng) {
  const Eigen::Index n = x.rows();
  const int trials = 2 + static_cast<int>(std::log(k));
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  Points centers(k, x.cols());
  const Eigen::Index first = std::uniform_int_distribution<Eigen::Index>(0, n - 1)(*rng);
  centers.row(0) = x.row(first);
  std::vector<double> closest(n), cumulative(n), candidate(n), best(n);
  double potential = 0;
  for (Eigen::Index i = 0; i < n; ++i) potential += closest[i] = SquaredDistance(x, i, centers, 0);
  for (int c = 1; c < k; ++c) {
    std::partial_sum(closest.begin(), closest.end(), cumulative.begin());
    double best_potential = std::numeric_limits<double>::infinity();
    Eigen::Index best_id = 0;
    for (int t = 0; t < trials; ++t) {
      const double target = uniform(*rng) * potential;
      Eigen::Index id = std::lower_bound(cumulative.begin(), cumulative.end(), target) -
                        cumulative.begin();
      id = std::min(id, n - 1);
      double pot = 0;
      for (Eigen::Index i = 0; i < n; ++i) {
        pot += candidate[i] = std::min(closest[i], SquaredDistance(x, i, x, id));
      }
      if (pot < best_potential) {
        best_potential = pot;
        best_id = id;
        best.swap(candidate);
      }
    }
    centers.row(c) = x.row(best_id);
    potential = best_potential;
    closest.swap(best);
  }
  return centers;
}

// Assigns each point its nearest centre (lowest index on ties); returns the inertia.
double Assign(const Points& x, const Points& centers, std::vector<int>* labels,
              std::vector<double>* distances) {
  double inertia = 0;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    double best = std::numeric_limits<double>::infinity();
    int label = 0;
    for (Eigen::Index c = 0; c < centers.rows(); ++c) {
      const double d = SquaredDistance(x, i, centers, c);
      if (d < best) {
        best = d;
        label = static_cast<int>(c);
      }
    }
    (*labels)[i] = label;
    (*distances)[i] = best;
    inertia += best;
  }
  return inertia;
}

// New centres as cluster means; an empty cluster takes the point farthest from its centre
// (scikit-learn's relocation), so no centre is lost. With n >= k some cluster always has
// two points to give one.
Points UpdateCenters(const Points& x, int k, std::vector<int>* labels,
                     const std::vector<double>& distances) {
  Points sums = Points::Zero(k, x.cols());
  std::vector<int64_t> counts(k, 0);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    sums.row((*labels)[i]) += x.row(i);
    ++counts[(*labels)[i]];
  }
  for (int c = 0; c < k; ++c) {
    if (counts[c] > 0) continue;
    Eigen::Index far = -1;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      if (counts[(*labels)[i]] > 1 && (far < 0 || distances[i] > distances[far])) far = i;
    }
    const int from = (*labels)[far];
    sums.row(from) -= x.row(far);
    --counts[from];
    sums.row(c) = x.row(far);
    counts[c] = 1;
    (*labels)[far] = c;
  }
  for (int c = 0; c < k; ++c) {
    if (counts[c] > 0) sums.row(c) /= static_cast<double>(counts[c]);
  }
  return sums;
}

KMeansResult Lloyd(const Points& x, Points centers, int max_iter, double tol) {
  const int k = static_cast<int>(centers.rows());
  KMeansResult r;
  r.labels.assign(x.rows(), -1);
  std::vector<int> previous;
  std::vector<double> distances(x.rows());
  for (r.iterations = 0; r.iterations < max_iter;) {
    previous = r.labels;
    Assign(x, centers, &r.labels, &distances);
    Points next = UpdateCenters(x, k, &r.labels, distances);
    ++r.iterations;
    const double shift = (next - centers).squaredNorm();
    centers = std::move(next);
    if (r.labels == previous || shift <= tol) break;
  }
  // A final assignment so labels match the returned centres (scikit-learn does the same).
  r.inertia = Assign(x, centers, &r.labels, &distances);
  r.centroids = std::move(centers);
  return r;
}

}  // namespace

absl::Status CheckKMeansParams(const KMeansParams& params) {
  if (params.k < 1) return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("k"), "=", params.k, " must be >= 1"));
  if (params.n_init < 1) {
    return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("n_init"), "=", params.n_init, " must be >= 1"));
  }
  if (params.max_iter < 1) {
    return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("max_iter"), "=", params.max_iter, " must be >= 1"));
  }
  if (!(params.tol >= 0) || !std::isfinite(params.tol)) {
    return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("tol"), "=", params.tol, " must be a number >= 0"));
  }
  return absl::OkStatus();
}

absl::StatusOr<KMeansResult> KMeans(const Points& x, const KMeansParams& params) {
  if (absl::Status s = CheckKMeansParams(params); !s.ok()) return s;
  if (x.rows() < params.k) {
    return absl::FailedPreconditionError(absl::StrCat("k-means with k=", params.k, " needs at least ",
                                                   params.k, " rows; the input has ", x.rows()));
  }
  // scikit-learn scales tol by the mean per-feature variance of the data.
  const Eigen::RowVectorXd mean = x.colwise().mean();
  const double variance =
      (x.rowwise() - mean).array().square().sum() / static_cast<double>(x.rows() * x.cols());
  const double tol = params.tol * variance;
  std::mt19937_64 rng(params.seed);
  KMeansResult best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (int run = 0; run < params.n_init; ++run) {
    KMeansResult r = Lloyd(x, KMeansPlusPlus(x, params.k, &rng), params.max_iter, tol);
    if (r.inertia < best.inertia) best = std::move(r);
  }
  return best;
}

}  // namespace attn::analysis
