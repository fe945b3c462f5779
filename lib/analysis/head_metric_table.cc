#include "lib/analysis/head_metric_table.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "lib/analysis/fast_log.h"

namespace attn::analysis {
namespace {

// Where GCC can, the loops below are also compiled for AVX-512 (x86-64-v4) and the CPU picks
// at run time; elsewhere they are built for the baseline the build targets.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ATTN_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "default")))
#else
#define ATTN_VECTOR_CLONES
#endif

// Sums run in kLanes interleaved partial sums, added up in a fixed order at the end, so the
// compiler can vectorise them without reassociating floating point (and results do not
// depend on the vector width it picks).
constexpr int kLanes = 8;

double AddLanes(const double (&lanes)[kLanes]) {
  double s = 0;
  for (double v : lanes) s += v;
  return s;
}

inline uint32_t MagnitudeBits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u & 0x7fffffffu;
}

// Whether x[0, kScan) holds anything but +-0; wide enough that the OR vectorises well.
constexpr int kScan = 64;
inline bool AnyNonzero(const float* x) {
  uint32_t any = 0;
  for (int l = 0; l < kScan; ++l) any |= MagnitudeBits(x[l]);
  return any != 0;
}

// The nonzero span of a row: [lo, hi) holds every entry that is not +-0. Causal rows end in
// L - 1 - i zeros and local patterns start with zeros; only the span needs the full pass.
ATTN_VECTOR_CLONES int64_t FirstNonzero(const float* x, int64_t n) {
  int64_t j = 0;
  while (j + kScan <= n && !AnyNonzero(x + j)) j += kScan;
  while (j < n && MagnitudeBits(x[j]) == 0) ++j;
  return j;
}

ATTN_VECTOR_CLONES int64_t EndOfNonzero(const float* x, int64_t lo, int64_t n) {
  int64_t j = n;
  while (j - kScan >= lo && !AnyNonzero(x + j - kScan)) j -= kScan;
  while (j > lo && MagnitudeBits(x[j - 1]) == 0) --j;
  return j;
}

struct SpanTotals {
  double sum = 0;
  float min = 0;  // min(0, the smallest entry): negative entries show here, NaN in the sum
};

ATTN_VECTOR_CLONES SpanTotals SumAndMin(const float* x, int64_t lo, int64_t hi) {
  double sum[kLanes] = {};
  float mn[kLanes];
  for (float& m : mn) m = 0;
  int64_t j = lo;
  for (; j + kLanes <= hi; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      sum[l] += x[j + l];
      mn[l] = x[j + l] < mn[l] ? x[j + l] : mn[l];
    }
  }
  for (int l = 0; j < hi; ++j, ++l) {
    sum[l] += x[j];
    mn[l] = x[j] < mn[l] ? x[j] : mn[l];
  }
  SpanTotals t;
  t.sum = AddLanes(sum);
  for (float m : mn) t.min = m < t.min ? m : t.min;
  return t;
}

struct SpanSums {
  double x_log = 0;     // sum of x log(x + eps_d)
  double below = 0;     // entries with x < threshold_d
  double weighted = 0;  // sum of x |i - j|
};

// The row pass proper, on the raw entries x of row i: with d = rowsum + 1e-9 and a = x / d,
// log(a + 1e-9) = log(x + 1e-9 d) - log(d) and a < t iff x < t d, so no entry is divided.
ATTN_VECTOR_CLONES SpanSums MainPass(const float* x, int64_t lo, int64_t hi, int64_t i,
                                     double eps_d, double threshold_d) {
  double x_log[kLanes] = {}, below[kLanes] = {}, weighted[kLanes] = {}, offset[kLanes];
  for (int l = 0; l < kLanes; ++l) offset[l] = static_cast<double>(lo + l) - static_cast<double>(i);
  int64_t j = lo;
  for (; j + kLanes <= hi; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const double v = x[j + l];
      below[l] += v < threshold_d ? 1.0 : 0.0;
      x_log[l] += v * FastLog(v + eps_d);
      weighted[l] += v * std::fabs(offset[l]);
      offset[l] += kLanes;
    }
  }
  for (int l = 0; j < hi; ++j, ++l) {
    const double v = x[j];
    below[l] += v < threshold_d ? 1.0 : 0.0;
    x_log[l] += v * FastLog(v + eps_d);
    weighted[l] += v * std::fabs(offset[l]);
  }
  return {AddLanes(x_log), AddLanes(below), AddLanes(weighted)};
}

ATTN_VECTOR_CLONES double MaskedSum(const float* x, const double* mask, int64_t lo, int64_t hi) {
  double sum[kLanes] = {};
  int64_t j = lo;
  for (; j + kLanes <= hi; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) sum[l] += x[j + l] * mask[j + l];
  }
  for (int l = 0; j < hi; ++j, ++l) sum[l] += x[j] * mask[j];
  return AddLanes(sum);
}

// profile[|i - j|] += x[j] * scale for j in [lo, hi).
void AddToProfile(const float* x, int64_t lo, int64_t hi, int64_t i, double scale,
                  double* profile) {
  for (int64_t j = lo; j < std::min(hi, i + 1); ++j) profile[i - j] += x[j] * scale;
  for (int64_t j = std::max(lo, i + 1); j < hi; ++j) profile[j - i] += x[j] * scale;
}

absl::Status BadEntry(const float* x, int64_t i, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    if (!(x[j] >= 0) || x[j] > std::numeric_limits<float>::max()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "entry [", i, ", ", j, "] is ", x[j], "; attention must be finite and non-negative"));
    }
  }
  return absl::InternalError("a row's sum is not finite but every entry is");
}

std::vector<HeadMetric> MakeTable() {
  std::vector<HeadMetric> t;
  t.push_back({"entropy", "nats",
               "mean over query rows i of -sum_j a[i][j] log(a[i][j] + 1e-9)", false,
               [](const MatrixSums& s) { return s.entropy / static_cast<double>(s.length); }});
  t.push_back({"sparsity", "fraction < {threshold}",
               "fraction of all L*L entries, the masked ones included, with a[i][j] below the "
               "threshold",
               false, [](const MatrixSums& s) {
                 return s.below / (static_cast<double>(s.length) * static_cast<double>(s.length));
               }});
  t.push_back({"distance", "tokens",
               "sum_ij a[i][j] |i - j| / sum_ij a[i][j]: how far back the attention reaches",
               false, [](const MatrixSums& s) { return s.weighted_distance / s.mass; }});
  const auto per_row = [](double sum, int64_t rows) {
    return rows > 0 ? sum / static_cast<double>(rows) : 0.0;
  };
  t.push_back({"to_prev", "fraction of attention",
               "mean over query rows i >= 1 of a[i][i-1]: attention to the previous byte (0 "
               "when L = 1)",
               true, [per_row](const MatrixSums& s) { return per_row(s.prev, s.length - 1); }});
  t.push_back({"to_self", "fraction of attention",
               "mean over query rows i of a[i][i]: attention to the current byte", true,
               [per_row](const MatrixSums& s) { return per_row(s.self, s.length); }});
  t.push_back({"to_first", "fraction of attention",
               "mean over query rows i of a[i][0]: attention to the first byte of the sequence",
               true, [per_row](const MatrixSums& s) { return per_row(s.first, s.length); }});
  for (int c = 0; c < kNumByteClasses; ++c) {
    std::string bytes;
    for (char b : kByteClasses[c].bytes) {
      absl::StrAppend(&bytes, bytes.empty() ? "" : " ", b == '\n' ? "\\n" : std::string(1, b));
    }
    t.push_back({"to_" + std::string(kByteClasses[c].name), "fraction of attention",
                 absl::StrCat("mean over query rows i of the sum of a[i][j] over keys j whose "
                              "byte is one of: '",
                              bytes, "'"),
                 true, [c, per_row](const MatrixSums& s) {
                   return per_row(s.class_mass[c], s.length);
                 }});
  }
  return t;
}

}  // namespace

void MatrixSums::Add(const MatrixSums& other) {
  rows += other.rows;
  entropy += other.entropy;
  below += other.below;
  weighted_distance += other.weighted_distance;
  mass += other.mass;
  prev += other.prev;
  self += other.self;
  first += other.first;
  for (int c = 0; c < kNumByteClasses; ++c) class_mass[c] += other.class_mass[c];
  if (profile.size() < other.profile.size()) profile.resize(other.profile.size(), 0.0);
  for (size_t d = 0; d < other.profile.size(); ++d) profile[d] += other.profile[d];
}

absl::Status AddRows(const float* rows, int64_t first_row, int64_t count, int64_t length,
                     const RowPass& pass, MatrixSums* sums) {
  const int64_t n = length;
  sums->length = n;
  if (pass.profile && static_cast<int64_t>(sums->profile.size()) != n) {
    sums->profile.assign(static_cast<size_t>(n), 0.0);
  }
  for (int64_t r = 0; r < count; ++r) {
    const float* x = rows + r * n;
    const int64_t i = first_row + r;
    const int64_t lo = FirstNonzero(x, n);
    const int64_t hi = EndOfNonzero(x, lo, n);
    const SpanTotals totals = SumAndMin(x, lo, hi);
    if (!std::isfinite(totals.sum) || totals.min < 0) return BadEntry(x, i, n);
    const double d = totals.sum + kRowEps;
    const SpanSums s = MainPass(x, lo, hi, i, kRowEps * d, pass.threshold * d);
    // -sum_j a log(a + eps) = (S log d - sum_j x log(x + eps d)) / d, S = the row's sum.
    sums->entropy += (totals.sum * std::log(d) - s.x_log) / d;
    sums->below += static_cast<double>(n - (hi - lo)) + s.below;
    sums->weighted_distance += s.weighted / d;
    sums->mass += totals.sum / d;
    if (i >= 1) sums->prev += x[i - 1] / d;
    sums->self += x[i] / d;
    sums->first += x[0] / d;
    if (pass.class_masks != nullptr) {
      for (int c = 0; c < kNumByteClasses; ++c) {
        sums->class_mass[c] += MaskedSum(x, pass.class_masks + c * n, lo, hi) / d;
      }
    }
    if (pass.profile) AddToProfile(x, lo, hi, i, 1.0 / d, sums->profile.data());
  }
  sums->rows += count;
  return absl::OkStatus();
}

std::vector<double> ClassMasks(std::string_view window) {
  const size_t n = window.size();
  std::vector<double> masks(kNumByteClasses * n, 0.0);
  for (int c = 0; c < kNumByteClasses; ++c) {
    for (size_t j = 0; j < n; ++j) {
      if (kByteClasses[c].bytes.find(window[j]) != std::string_view::npos) masks[c * n + j] = 1;
    }
  }
  return masks;
}

const std::vector<HeadMetric>& HeadMetricTable() {
  static const std::vector<HeadMetric>* table = new std::vector<HeadMetric>(MakeTable());
  return *table;
}

std::vector<const HeadMetric*> SelectHeadMetrics(bool with_tokens) {
  std::vector<const HeadMetric*> out;
  for (const HeadMetric& m : HeadMetricTable()) {
    if (with_tokens || !m.needs_tokens) out.push_back(&m);
  }
  return out;
}

std::string MetricUnit(const HeadMetric& metric, double threshold) {
  return absl::StrReplaceAll(metric.unit, {{"{threshold}", absl::StrCat(threshold)}});
}

}  // namespace attn::analysis
