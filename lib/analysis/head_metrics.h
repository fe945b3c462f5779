// Per-head attention metrics (the rows of head_metric_table.h) over an attention stream:
// concatenated .npy float32 records [layers, heads, L, L], one per sequence.
#ifndef ATTN_LIB_ANALYSIS_HEAD_METRICS_H_
#define ATTN_LIB_ANALYSIS_HEAD_METRICS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/analysis/head_metric_table.h"
#include "lib/io/csv.h"
#include "lib/io/npy.h"
#include "lib/runtime/progress.h"

namespace attn::analysis {

// The values of SelectHeadMetrics(false) (entropy, sparsity, distance) for one head's
// [L, L] attention matrix (row-major); `threshold` > 0. A negative, NaN or infinite entry, or
// a matrix without a positive entry, is an InvalidArgument error.
absl::StatusOr<std::vector<double>> ComputeMatrixMetrics(const float* attention, int64_t length,
                                                         double threshold);

struct MeasureOptions {
  double threshold = kDefaultSparsityThreshold;
  int threads = 1;
  // The L key bytes of record r (the window of the token file it was computed on). Set: the
  // position scores are measured too; an error it returns ends the run.
  std::function<absl::StatusOr<std::string>(int64_t record, int64_t length)> token_window;
  bool profiles = false;                  // also each head's attention profile
  runtime::Progress* progress = nullptr;  // told the bytes read, when set
};

struct HeadMetrics {
  int64_t layer = 0;
  int64_t head = 0;
  // SelectHeadMetrics(token_window set), each the mean over sequences of its per-matrix value.
  std::vector<double> values;
  // With profiles, the attention profile: L values, [d] = the mean over sequences and query
  // rows i of the attention at key distance |i - j| = d (i - j for causal attention); it sums
  // to 1 (less 1e-9 per row of renormalisation).
  std::vector<double> profile;
};

// Reads every record of `reader` (all the same shape) and returns one entry per head,
// layer-major. Streams: memory holds a few MB of rows per thread, never a whole head matrix
// or record, and grows only with data that arrived, never with what a header claims. The
// result does not depend on `threads`. `records`, when given, receives the number read.
absl::StatusOr<std::vector<HeadMetrics>> ComputeHeadMetrics(io::NpyStreamReader* reader,
                                                            const MeasureOptions& options,
                                                            int64_t* records = nullptr);

// The CSV: layer,head, then the metrics' names (default: entropy,sparsity,distance), at full
// precision.
io::Table HeadMetricsTable(const std::vector<HeadMetrics>& heads, bool with_tokens);

// The profiles as CSV: layer,head,d0,d1,...,d{L-1}.
io::Table ProfileTable(const std::vector<HeadMetrics>& heads);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_HEAD_METRICS_H_
