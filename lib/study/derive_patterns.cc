#include "lib/study/derive_patterns.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace attn::study {
namespace {

// Share of the mass the search may fall short by, for rounding.
constexpr double kTolerance = 1e-12;

// One point of the search: k = window + 1 (0: no band), a stride (0: none), the anchor
// columns, and what they cover and cost.
struct Candidate {
  int64_t k = 0;
  int64_t stride = 0;
  std::vector<int64_t> anchors;
  double covered = 0;
  int64_t pairs = 0;
};

// Whether `c` beats `best` under the header's order (`c` was found later, so an exact tie
// keeps `best`: the smaller window, then the smaller stride).
bool Better(const Candidate& c, const Candidate& best, double tolerance) {
  if (c.pairs != best.pairs) return c.pairs < best.pairs;
  if (std::fabs(c.covered - best.covered) > tolerance) return c.covered > best.covered;
  return c.anchors.size() < best.anchors.size();
}

}  // namespace

std::vector<int64_t> StrideCandidates(int64_t seq_len) {
  // At least 4 columns (0, s, 2s, 3s): fewer are anchors in all but name.
  std::vector<int64_t> strides;
  for (int64_t s = 2; s <= 32 && 3 * s < seq_len; ++s) strides.push_back(s);
  for (int64_t s = 64; 3 * s < seq_len; s *= 2) strides.push_back(s);
  return strides;
}

double AnchorFraction(int64_t column, int64_t seq_len) {
  if (seq_len <= 1 || column <= 0) return 0.0;
  if (column >= seq_len - 1) return 1.0;
  const double span = static_cast<double>(seq_len - 1);
  auto maps_to = [span](double r) { return static_cast<int64_t>(std::floor(r * span)); };
  double r = static_cast<double>(column) / span;
  while (maps_to(r) < column) r = std::nextafter(r, 2.0);
  while (maps_to(r) > column) r = std::nextafter(r, -1.0);
  return r;
}

double PatternCoverage(const std::vector<double>& mass, const model::PatternAtLength& pattern) {
  const int64_t n = pattern.seq_len();
  double total = 0, covered = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j <= i; ++j) {
      const double m = mass[static_cast<size_t>(i * n + j)];
      total += m;
      if (pattern.Allows(i, j)) covered += m;
    }
  }
  return total > 0 ? covered / total : 0.0;
}

absl::StatusOr<PatternFit> FitPattern(const std::vector<double>& mass, int64_t seq_len, double coverage) {
  const int64_t n = seq_len;
  if (n < 1 || static_cast<int64_t>(mass.size()) != n * n) {
    return absl::InvalidArgumentError(absl::StrCat("a [", n, ", ", n, "] matrix needs ", n * n,
                                                   " values, not ", mass.size()));
  }
  if (!(coverage > 0 && coverage <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("coverage = ", coverage, " must be in (0, 1]"));
  }
  auto at = [&](int64_t i, int64_t j) { return mass[static_cast<size_t>(i * n + j)]; };
  // Mass by distance, and (k = 0) every column's causal mass.
  std::vector<double> by_distance(n, 0.0), gain(n, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j <= i; ++j) {
      const double m = at(i, j);
      if (!(m >= 0) || !std::isfinite(m)) {
        return absl::InvalidArgumentError(absl::StrCat("entry [", i, ", ", j, "] is ", m,
                                                       "; attention mass must be finite and non-negative"));
      }
      by_distance[i - j] += m;
      gain[j] += m;
    }
  }
  // The total in the order the band adds it up, so the full band covers exactly all of it.
  const double total = std::accumulate(by_distance.begin(), by_distance.end(), 0.0);
  if (!(total > 0)) return absl::InvalidArgumentError("no attention mass on or below the diagonal");
  const double goal = (coverage - kTolerance) * total;
  const double tolerance = kTolerance * total;
  const std::vector<int64_t> strides = [&] {
    std::vector<int64_t> s = {0};
    for (int64_t c : StrideCandidates(n)) s.push_back(c);
    return s;
  }();

  Candidate best;  // full causal attention: k = n, every pair
  best.k = n;
  best.covered = total;
  best.pairs = model::CausalPairCount(n);
  double band_mass = 0;
  int64_t band_pairs = 0;
  std::vector<int64_t> order;
  std::vector<int64_t> anchors;
  for (int64_t k = 0; k < n && band_pairs <= best.pairs; ++k) {
    // Columns the band leaves something of, c < n - k, by mass per added pair.
    const int64_t columns = n - k;
    auto cost = [&](int64_t c) { return n - c - k; };
    order.clear();
    for (int64_t c = 0; c < columns; ++c) {
      if (gain[c] > 0) order.push_back(c);
    }
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      const double ra = gain[a] / static_cast<double>(cost(a)), rb = gain[b] / static_cast<double>(cost(b));
      return ra != rb ? ra > rb : a < b;
    });
    for (const int64_t stride : strides) {
      // A stride needs a column besides 0 (stride columns only: anchor 0 says it more simply).
      if (stride >= columns) break;
      double covered = band_mass;
      int64_t pairs = band_pairs;
      if (stride > 0) {
        for (int64_t c = 0; c < columns; c += stride) {
          covered += gain[c];
          pairs += cost(c);
        }
      }
      anchors.clear();
      for (const int64_t c : order) {
        if (covered >= goal || pairs > best.pairs) break;
        if (stride > 0 && c % stride == 0) continue;
        covered += gain[c];
        pairs += cost(c);
        anchors.push_back(c);
      }
      if (covered < goal) continue;
      Candidate candidate{k, stride, anchors, covered, pairs};
      if (Better(candidate, best, tolerance)) best = std::move(candidate);
    }
    // Window k: the entries at distance k move from the columns into the band.
    band_mass += by_distance[k];
    band_pairs += n - k;
    for (int64_t c = 0; c + k < n; ++c) gain[c] -= at(c + k, c);
  }

  PatternFit fit;
  if (best.k >= n || best.pairs == model::CausalPairCount(n)) {
    fit.pattern.window = model::kUnboundedWindow;
  } else {
    if (best.k > 0) fit.pattern.window = best.k - 1;
    fit.pattern.stride = best.stride;
    std::sort(best.anchors.begin(), best.anchors.end());
    for (const int64_t c : best.anchors) fit.pattern.anchors.push_back(AnchorFraction(c, n));
  }
  const model::PatternAtLength at_length(fit.pattern, n);
  fit.coverage = PatternCoverage(mass, at_length);
  fit.pairs = at_length.PairCount();
  if (fit.pairs != best.pairs || std::fabs(fit.coverage * total - best.covered) > 1e-9 * total) {
    return absl::InternalError(absl::StrCat("the search's figures for ", model::DescribePattern(fit.pattern),
                                            " (", best.pairs, " pairs, coverage ", best.covered / total,
                                            ") differ from the pattern's (", fit.pairs, ", ", fit.coverage, ")"));
  }
  return fit;
}

}  // namespace attn::study
