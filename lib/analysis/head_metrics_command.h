// The head_metrics tool: an attention stream in, one CSV row per head out.
#ifndef ATTN_LIB_ANALYSIS_HEAD_METRICS_COMMAND_H_
#define ATTN_LIB_ANALYSIS_HEAD_METRICS_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "lib/analysis/head_metric_table.h"

namespace attn::analysis {

struct HeadMetricsOptions {
  std::string input = "-";   // the attention stream; "-" is stdin
  std::string output = "-";  // the CSV; "-" is stdout
  double threshold = kDefaultSparsityThreshold;
  int threads = 1;
  // The token file the stream was dumped from: record r is the window of L bytes at
  // offset + r L. Given: the position scores are written too (after the default columns).
  std::string tokens;
  int64_t offset = 0;
  std::string profiles;  // also write each head's attention profile here (CSV); "": not
  // Write the metrics the other options select, one per line, "name<TAB>unit<TAB>definition",
  // to `output` instead of measuring anything.
  bool list_metrics = false;
};

// Measures the stream (progress on stderr) and writes the CSV, and the profiles when asked,
// only when every record was good.
absl::Status RunHeadMetrics(const HeadMetricsOptions& options);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_HEAD_METRICS_COMMAND_H_
