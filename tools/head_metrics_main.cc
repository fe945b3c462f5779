// head_metrics: per-head metrics of an attention stream (entropy, sparsity, distance; with
// --tokens the position scores too), one CSV row per head.
//   dump_attention ... | head_metrics > head_metrics.csv

#include "gflags/gflags.h"
#include "lib/analysis/head_metrics_command.h"
#include "lib/runtime/tool.h"
#include "tools/tool_main.h"

DEFINE_string(input, "-", "attention stream: concatenated .npy float32 records "
                          "[layers, heads, L, L]; '-' is stdin");
DEFINE_string(output, "-", "CSV layer,head,entropy,sparsity,distance (more columns with "
                           "--tokens); '-' is stdout");
DEFINE_double(threshold, attn::analysis::kDefaultSparsityThreshold,
              "sparsity counts renormalised entries below this");
DEFINE_string(tokens, "", "the token file (.u8) the stream was dumped from: adds the position "
                          "scores (attention to the previous, current and first byte, and to "
                          "byte classes)");
DEFINE_int64(offset, 0, "with --tokens: the --offset the stream was dumped from (record r is "
                        "the window of L bytes at offset + r L)");
DEFINE_string(profiles, "", "also write each head's attention profile here: CSV "
                            "layer,head,d0..d{L-1}, the mean attention at key distance d");
DEFINE_bool(list_metrics, false, "print the metrics (name<TAB>unit<TAB>definition) the other "
                                 "flags select, and exit");

int main(int argc, char** argv) {
  attn::tools::InitMain(
      &argc, &argv,
      "head_metrics [--input=-] [--output=-] [--threshold=1e-4] [--tokens=FILE [--offset=N]]\n"
      "             [--profiles=FILE] [--threads=N] | --list_metrics\n"
      "Measures every attention head of a stream.\n"
      "Example: dump_attention --checkpoint=m.safetensors --tokens=valid.u8 | "
      "head_metrics --tokens=valid.u8 > metrics.csv");
  attn::analysis::HeadMetricsOptions o;
  o.input = attn::runtime::ResolvePath(FLAGS_input);
  o.output = attn::runtime::ResolvePath(FLAGS_output);
  o.threshold = FLAGS_threshold;
  o.threads = attn::runtime::Threads();
  o.tokens = attn::runtime::ResolvePath(FLAGS_tokens);
  o.offset = FLAGS_offset;
  o.profiles = attn::runtime::ResolvePath(FLAGS_profiles);
  o.list_metrics = FLAGS_list_metrics;
  return attn::runtime::RunCommand([&] { return attn::analysis::RunHeadMetrics(o); });
}
