// The head metrics as a table. Each metric is one row of HeadMetricTable(): its CSV column,
// unit, definition and per-matrix value. The value is made of MatrixSums, which AddRows
// accumulates in one pass over a head matrix's rows. Everything else (the CSV header, the
// streaming reducer, `head_metrics --list_metrics`, and through it the figures and the
// pipeline's loops) follows the table. A new metric is a row in head_metric_table.cc; if no
// existing sum serves it, it adds a sum here and its accumulation in AddRows; and a test.
#ifndef ATTN_LIB_ANALYSIS_HEAD_METRIC_TABLE_H_
#define ATTN_LIB_ANALYSIS_HEAD_METRIC_TABLE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace attn::analysis {

// Rows are renormalised before anything is measured: a = A / (rowsum + kRowEps).
inline constexpr double kRowEps = 1e-9;
inline constexpr double kDefaultSparsityThreshold = 1e-4;

// Classes of the key byte that the position scores measure attention to.
struct ByteClass {
  std::string_view name;
  std::string_view bytes;  // the bytes in the class
};
inline constexpr ByteClass kByteClasses[] = {
    {"space", " "}, {"newline", "\n"}, {"lt", "<"}, {"bracket", "["}, {"digit", "0123456789"}};
inline constexpr int kNumByteClasses = sizeof(kByteClasses) / sizeof(kByteClasses[0]);

// What a pass over rows measures besides the always-present sums.
struct RowPass {
  double threshold = kDefaultSparsityThreshold;  // > 0
  // Key-token class masks of the record, kNumByteClasses blocks of L doubles, 1 where key
  // j's byte is in the class, else 0 (ClassMasks). Null: no class sums.
  const double* class_masks = nullptr;
  bool profile = false;  // accumulate MatrixSums::profile
};

// Sums over rows of one head matrix, [L, L], with a = the renormalised entries.
struct MatrixSums {
  int64_t length = 0;            // L
  int64_t rows = 0;              // rows added so far
  double entropy = 0;            // sum over rows of -sum_j a log(a + 1e-9), nats
  double below = 0;              // number of entries with a < threshold (zeros included)
  double weighted_distance = 0;  // sum of a |i - j|
  double mass = 0;               // sum of a
  double prev = 0;               // sum over rows i >= 1 of a[i][i - 1]
  double self = 0;               // sum over rows of a[i][i]
  double first = 0;              // sum over rows of a[i][0]
  double class_mass[kNumByteClasses] = {};  // sum of a over keys j whose byte is in the class
  std::vector<double> profile;   // with RowPass::profile, L values: [d] = sum of a, |i - j| = d

  void Add(const MatrixSums& other);  // other holds later rows of the same matrix
};

// Adds rows first_row .. first_row + count - 1 (< L) of an L x L matrix (`rows` holds them,
// row-major float32) to `sums`. A negative, NaN or infinite entry is
// InvalidArgument "entry [i, j] is x; attention must be finite and non-negative". Sums run in
// lanes fixed in code, so they do not depend on the vector width the CPU offers (only fused
// multiply-adds may move the last bit).
absl::Status AddRows(const float* rows, int64_t first_row, int64_t count, int64_t length,
                     const RowPass& pass, MatrixSums* sums);

// The class masks RowPass::class_masks points to, for a record whose L bytes are `window`.
std::vector<double> ClassMasks(std::string_view window);

struct HeadMetric {
  std::string name;        // the CSV column
  std::string unit;        // for axes; "{threshold}" stands for the sparsity threshold
  std::string definition;  // per matrix, in words
  // A position score: measured only where the tokens of each record are known (the class
  // scores need them; the group is written together).
  bool needs_tokens = false;
  std::function<double(const MatrixSums&)> value;  // of one complete matrix
};

// Every metric in CSV column order: entropy, sparsity, distance (the original work's three,
// always written), then the position scores. A head's value is the mean over sequences of
// its per-matrix values.
const std::vector<HeadMetric>& HeadMetricTable();

// The metrics written with or without token windows, in table order.
std::vector<const HeadMetric*> SelectHeadMetrics(bool with_tokens);

// The unit with "{threshold}" replaced by `threshold` ("fraction < 0.0001").
std::string MetricUnit(const HeadMetric& metric, double threshold);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_HEAD_METRIC_TABLE_H_
