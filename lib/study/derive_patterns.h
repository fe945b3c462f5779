// Fitting one attention pattern (lib/model/attention_patterns.h) to an attention matrix: the
// pattern with the fewest allowed pairs whose allowed entries hold at least a given share of
// the matrix's mass (docs/design.md, "The study").
//
// The search, for a causal [L, L] matrix M (entries above the diagonal are ignored):
// - Windows: no band, 0, 1, ..., L - 1 (window L - 1 is full causal attention, written as
//   the unbounded window). With k = window + 1 (0 for no band), the band holds the mass at
//   distances d = i - j < k, a prefix sum of the mass by distance, and allows
//   sum_i min(i + 1, k) pairs.
// - Columns: what the band leaves of column c is g_k(c) = sum_{i - c >= k} M[i][c], at a
//   cost of L - c - k more pairs. g_{k+1} is g_k less one entry per column, so every window
//   costs O(L) to update.
// - Strides: 0 and StrideCandidates(L); a stride adds its columns' g_k(c).
// - Anchors: on top of each (window, stride), the other columns in order of mass per added
//   pair (ties: the lower column), greedily, until the coverage is reached. A column c becomes
//   the fraction AnchorFraction(c, L), which PatternAtLength maps back to exactly c.
// - The result: the fewest pairs; ties go to the higher coverage (by more than 1e-12 of the
//   mass), then to fewer anchors, then to the smaller window, then to the smaller stride.
//   Windows are tried in increasing order and stop once the band alone allows more pairs than
//   the best so far; each greedy stops once it allows more.
// Cost: O(L^2 (log L + |strides|)) at worst, in practice far less; no L x L scratch.
// "Holds at least c" allows 1e-12 of the mass for rounding. The chosen pattern's coverage and
// pair count are then measured directly on M with PatternAtLength.
#ifndef ATTN_LIB_STUDY_DERIVE_PATTERNS_H_
#define ATTN_LIB_STUDY_DERIVE_PATTERNS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/model/attention_patterns.h"

namespace attn::study {

struct PatternFit {
  model::AttentionPattern pattern;
  double coverage = 0;  // share of the matrix's causal mass on the allowed entries
  int64_t pairs = 0;    // PatternAtLength(pattern, L).PairCount()
};

// The cheapest pattern covering at least `coverage` (in (0, 1]) of `mass`, a row-major
// [seq_len, seq_len] matrix of finite non-negative values with some positive entry on or
// below the diagonal (InvalidArgument otherwise). A pattern that allows every causal pair
// is returned as dense (the unbounded window).
absl::StatusOr<PatternFit> FitPattern(const std::vector<double>& mass, int64_t seq_len, double coverage);

// The share of `mass`'s causal mass (as above) that `pattern` allows, summed entry by entry.
double PatternCoverage(const std::vector<double>& mass, const model::PatternAtLength& pattern);

// The strides the search tries besides 0: 2..32, then the powers of two, each only while it
// gives at least 4 columns (3 stride < seq_len).
std::vector<int64_t> StrideCandidates(int64_t seq_len);

// A fraction r in [0, 1] with min(L-1, floor(r (L-1))) == column at L = seq_len: column /
// (L - 1), nudged to the nearest double that maps back exactly. 0 <= column < seq_len.
double AnchorFraction(int64_t column, int64_t seq_len);

}  // namespace attn::study

#endif  // ATTN_LIB_STUDY_DERIVE_PATTERNS_H_
