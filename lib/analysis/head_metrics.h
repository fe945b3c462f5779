// Per-head attention metrics (DESIGN.md section 6) over an attention stream (section 3).
#ifndef ATTN_LIB_ANALYSIS_HEAD_METRICS_H_
#define ATTN_LIB_ANALYSIS_HEAD_METRICS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/io/csv.h"
#include "lib/io/npy.h"
#include "lib/runtime/progress.h"

namespace attn::analysis {

inline constexpr double kDefaultSparsityThreshold = 1e-4;

struct MatrixMetrics {
  double entropy = 0;   // mean over rows of -sum_j A log(A + 1e-9), nats
  double sparsity = 0;  // fraction of all L*L entries below the threshold
  double distance = 0;  // sum A |i - j| / sum A
};

// The metrics of one head's [L, L] attention matrix (row-major), after renormalising each
// row by its sum + 1e-9, computed in double; `threshold` > 0. A negative, NaN or infinite
// entry, or a matrix without a positive entry, is an InvalidArgument error.
absl::StatusOr<MatrixMetrics> ComputeMatrixMetrics(const float* attention, int64_t length,
                                                   double threshold);

struct HeadMetrics {
  int layer = 0;
  int head = 0;
  MatrixMetrics metrics;  // the mean over sequences
};

struct HeadMetricsOptions {
  double threshold = kDefaultSparsityThreshold;
  int threads = 1;
  runtime::Progress* progress = nullptr;  // told the bytes read, when set
};

// Reads every record of `reader` (each [layers, heads, L, L], all the same shape) and
// returns the per-head means over records, layer-major. Holds at most 2 * threads head
// matrices at once, never a whole record; the result does not depend on `threads`.
absl::StatusOr<std::vector<HeadMetrics>> ComputeHeadMetrics(io::NpyStreamReader* reader,
                                                            const HeadMetricsOptions& options);

// The CSV of DESIGN.md section 3: layer,head,entropy,sparsity,distance at full precision.
io::Table HeadMetricsTable(const std::vector<HeadMetrics>& heads);

// The head_metrics tool: reads the stream at `input` ("-" = stdin), shows progress on
// stderr, and writes the CSV to `output` ("-" = stdout) only when every record was good.
absl::Status WriteHeadMetrics(const std::string& input, const std::string& output,
                              double threshold, int threads);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_HEAD_METRICS_H_
