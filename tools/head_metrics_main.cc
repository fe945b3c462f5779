// head_metrics: per-head entropy, sparsity and distance of an attention stream.
//   dump_attention ... | head_metrics > head_metrics.csv
#include "gflags/gflags.h"
#include "lib/analysis/head_metrics.h"
#include "lib/runtime/tool.h"
#include "tools/tool_main.h"

DEFINE_string(input, "-", "attention stream: concatenated .npy float32 records "
                          "[layers, heads, L, L]; '-' is stdin");
DEFINE_string(output, "-", "CSV layer,head,entropy,sparsity,distance; '-' is stdout");
DEFINE_double(threshold, attn::analysis::kDefaultSparsityThreshold,
              "sparsity counts renormalised entries below this");

int main(int argc, char** argv) {
  attn::tools::InitMain(&argc, &argv,
                          "head_metrics [--input=-] [--output=-] [--threshold=1e-4] [--threads=N]\n"
                          "Measures every attention head of a stream (DESIGN.md section 6).");
  const absl::Status status = attn::analysis::WriteHeadMetrics(
      attn::runtime::ResolvePath(FLAGS_input), attn::runtime::ResolvePath(FLAGS_output),
      FLAGS_threshold, attn::runtime::Threads());
  return status.ok() ? attn::runtime::kExitOk : attn::runtime::Fail(status);
}
